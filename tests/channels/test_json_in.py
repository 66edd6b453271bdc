"""What platforms send is read as the standard library reads it, however it is spelled."""

from __future__ import annotations

import json

import pytest

from bot.channels.json_in import read_json

UPDATE = (
    b'{"update_id":7,"message":{"message_id":1,"date":0,"chat":{"id":42,"type":"private"},'
    b'"text":"knee \\ud83e\\uddb5 and a lone \\ud800 half"}}'
)


def test_an_update_with_a_lone_surrogate_escape_is_read_not_refused() -> None:
    assert read_json(UPDATE) == json.loads(UPDATE)
    assert read_json(UPDATE.decode()) == json.loads(UPDATE)


def test_ordinary_json_reads_the_same() -> None:
    body = '{"a":[1,2.5,true,null,"Über ☕"],"id":-1001234567890}'
    assert read_json(body) == json.loads(body)


def test_what_is_not_json_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="Expecting value"):
        read_json(b"payload=not-json")

"""The strict YAML loader: yes/no stay words, duplicate keys are refused."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.catalog.loader import CatalogError, load_catalog
from bot.catalog.yamlio import load_yaml


def _load(tmp_path: Path, text: str) -> object:
    path = tmp_path / "data.yaml"
    path.write_text(text, encoding="utf-8")
    return load_yaml(path)


def test_yes_and_no_stay_strings(tmp_path: Path) -> None:
    data = _load(tmp_path, "options: [yes, no, on, off, Yes, NO]\nflag: true\nother: False\n")
    assert data == {
        "options": ["yes", "no", "on", "off", "Yes", "NO"],
        "flag": True,
        "other": False,
    }


def test_yes_as_a_key_stays_a_string(tmp_path: Path) -> None:
    assert _load(tmp_path, "yes: 1\nno: 2\n") == {"yes": 1, "no": 2}


def test_duplicate_keys_are_refused(tmp_path: Path) -> None:
    with pytest.raises(yaml.constructor.ConstructorError, match="duplicate key 'label'"):
        _load(tmp_path, "option:\n  label: Yes\n  label: No\n")


def test_duplicate_key_in_a_flow_names_the_file(tmp_path: Path) -> None:
    flows, content = tmp_path / "flows", tmp_path / "content"
    flows.mkdir()
    content.mkdir()
    (flows / "broken.yaml").write_text("id: a\nid: b\n", encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        load_catalog(flows, content)
    [problem] = caught.value.problems
    assert problem.startswith(f"{flows / 'broken.yaml'}: cannot read YAML: ")
    assert "duplicate key 'id'" in problem

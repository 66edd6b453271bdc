"""``@frozen``: immutable value types that cost no more to build than plain ones.

``@dataclass(frozen=True)`` makes immutability a run-time check by sending every field of
every ``__init__`` through ``object.__setattr__``: 0.61 µs to build a ``Choice`` against
0.15 µs for a plain slotted dataclass. A Telegram turn builds about twenty such values
(replies, sections, buttons, events, the turn itself), which measured 16 µs of its 214.

These types stay immutable by contract, and ``mypy --strict`` enforces it: the decorator is
a PEP 681 ``dataclass_transform`` with ``frozen_default``, so assigning to a field is a type
error. At run time they are slotted dataclasses hashed on their fields, usable as dict keys
and in sets like frozen ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from typing_extensions import dataclass_transform

T = TypeVar("T")


@dataclass_transform(frozen_default=True)
def frozen(cls: type[T]) -> type[T]:
    return dataclass(slots=True, unsafe_hash=True)(cls)

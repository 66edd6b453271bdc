"""The terminal chat's registry entry (see :mod:`bot.channels.registry`).

It runs inside ``kneecheck run`` / ``chat`` only, which add its courier themselves (the chat
on screen is the courier); no other process serves or reaches it.
"""

from __future__ import annotations

from bot.channels.registry import Entry

NAME = "terminal"
PREFIX = "cli"

ENTRY = Entry(name=NAME, prefix=PREFIX)

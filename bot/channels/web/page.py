"""The page itself: its HTML (filled in the reader's language), its two files, its headers.

The page's own words (a label, a button, what the script says when the connection drops)
come from the content's ``ui`` under ``web_*`` keys where a locale has them, and from
:data:`TEXTS` otherwise: a second language translates the page without touching code. They
reach the script as ``data-`` attributes of ``<body>``, so nothing inline is needed.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from importlib.resources import files

from bot.actions import START
from bot.catalog.content import Content

STATIC = {"chat.css": "text/css", "chat.js": "text/javascript"}
"""The page's files, by name: nothing else is served from the package."""

TEXTS = (
    "web_title",
    "web_intro",
    "web_log",
    "web_noscript",
    "web_input",
    "web_send",
    "web_commands",
    "web_answers",
    "web_chart_text",
    "web_offline",
    "web_not_sent",
    "web_failed",
    "web_no_history",
    "web_slow_down",
)
"""The page's own words, in the content's ``ui`` (every language has them)."""


def text(content: Content, key: str) -> str:
    return content.ui[key]


def csp(frame_ancestors: str) -> str:
    """Nothing from another origin, no inline script or style; images may be ``data:``
    URLs (the diary chart)."""
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self'; form-action 'self'; frame-ancestors {frame_ancestors}; "
        "base-uri 'none'"
    )


def headers(frame_ancestors: Iterable[str]) -> dict[str, str]:
    """On every answer of the chat's routes. ``frame_ancestors``: the origins that may show
    the page in a frame (none by default)."""
    allowed = " ".join(frame_ancestors)
    return {
        "Content-Security-Policy": csp(allowed or "'none'"),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cross-Origin-Opener-Policy": "same-origin",
        **({} if allowed else {"X-Frame-Options": "DENY"}),
    }


class Page:
    """The template and the files, read once from the package."""

    def __init__(self) -> None:
        folder = files("bot.channels.web") / "static"
        self.template = (folder / "index.html").read_text(encoding="utf-8")
        self.files = {name: (folder / name).read_bytes() for name in STATIC}

    def html(self, content: Content, commands: Iterable[str]) -> str:
        """The page in ``content``'s language, with a button for each command."""
        items = "".join(
            f'<li><button type="button" data-command="{name}" aria-describedby="cmd-{name}">'
            f'/{name}</button> <span id="cmd-{name}">'
            f"{html.escape(content.commands.get(name, ''))}</span></li>"
            for name in commands
        )
        filled = self.template.replace("{{lang}}", html.escape(content.locale))
        filled = filled.replace("{{start}}", START)  # what the page sends when it first opens
        for key in TEXTS:
            filled = filled.replace("{{" + key + "}}", html.escape(text(content, key)))
        return filled.replace("{{commands}}", items)

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

from bot.catalog.content import Content

STATIC = {"chat.css": "text/css", "chat.js": "text/javascript"}
"""The page's files, by name: nothing else is served from the package."""

TEXTS = {
    "web_title": "kneecheck: knee muscle spasm check",
    "web_intro": "A guided check for knee muscle spasms. It is not a diagnosis.",
    "web_log": "Conversation",
    "web_noscript": "This chat needs JavaScript turned on.",
    "web_input": "Your answer or message",
    "web_send": "Send",
    "web_commands": "Commands",
    "web_answers": "Answers",
    "web_chart_text": "The chart as text",
    "web_offline": "Connection lost. Trying again...",
    "web_not_sent": "Could not send that. Check your connection and try again.",
    "web_failed": "Sorry, that did not work. Please try again.",
    "web_no_history": "Could not load the conversation. Please reload the page.",
    "web_slow_down": "You are sending messages very fast. Please wait a minute, then try again.",
}
"""The page's words where the content has none yet (English)."""


def text(content: Content, key: str) -> str:
    return content.ui.get(key) or TEXTS[key]


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
        for key in TEXTS:
            filled = filled.replace("{{" + key + "}}", html.escape(text(content, key)))
        return filled.replace("{{commands}}", items)

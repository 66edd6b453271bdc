"""The page as served: every placeholder filled, its words from the content where a locale
has them (so a second language translates the page), everything escaped."""

from __future__ import annotations

from bot.catalog.catalog import Catalog
from bot.channels.web.page import TEXTS, Page, headers, text


def test_the_page_is_filled_in_the_content_s_words_and_escaped(catalog: Catalog) -> None:
    content = catalog.content(None)
    page = Page().html(content, ("start", "back", "forget"))
    assert "{{" not in page
    assert content.ui["web_input"] in page
    assert all(text(content, key) for key in TEXTS)  # every word of the page is in the content
    assert f'<html lang="{content.locale}">' in page
    assert 'data-command="forget"' in page
    assert content.commands["forget"] in page
    translated = content.model_copy(
        update={"ui": {**content.ui, "web_input": "Votre réponse", "web_send": "<Envoyer>"}}
    )
    page = Page().html(translated, ("start",))
    assert ">Votre réponse</label>" in page
    assert "&lt;Envoyer&gt;" in page
    assert "<Envoyer>" not in page


def test_framing_is_refused_unless_origins_are_allowed() -> None:
    assert "frame-ancestors 'none'" in headers([])["Content-Security-Policy"]
    assert headers([])["X-Frame-Options"] == "DENY"
    allowed = headers(["https://www.example.org"])
    assert "frame-ancestors https://www.example.org;" in allowed["Content-Security-Policy"]
    assert "X-Frame-Options" not in allowed

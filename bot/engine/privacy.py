"""What is stored about a user, in plain words (for /mydata on every channel)."""

from __future__ import annotations

from bot.catalog.catalog import Catalog
from bot.catalog.content import Content
from bot.engine.replies import Reply, Section
from bot.engine.session import Session


def stored_data(
    catalog: Catalog, session: Session | None, *, ttl_days: int | None, locale: str | None = None
) -> Reply:
    """/mydata for the conversation itself. ``ttl_days`` None: nothing outlives the program
    (the embedded store), so no retention period is promised."""
    content = catalog.content(session.locale if session else locale)
    ui = content.ui
    if session is None or not (session.answers or session.step):
        return Reply(kind="info", sections=(Section(paragraphs=(ui["mydata_none"],)),))
    lines: list[str] = []
    for step_id, value in session.answers.items():
        options = content.steps[step_id].options if step_id in content.steps else {}
        values = (value,) if isinstance(value, str) else value
        lines.extend(options[v].answer or options[v].label for v in values if v in options)
    status = session.status if lines or session.status != "active" else "started"
    return Reply(
        kind="info",
        sections=(
            Section(
                title=ui["mydata_title"],
                paragraphs=(ui[f"mydata_status_{status}"],),
                bullets=tuple(lines),
            ),
            retention_section(content, ttl_days),
        ),
    )


def retention_section(content: Content, ttl_days: int | None) -> Section:
    """How long it is all kept: days after the last use, or only while this program runs."""
    if ttl_days is None:
        return Section(paragraphs=(content.ui["mydata_retention_memory"],))
    return Section(paragraphs=(content.ui["mydata_retention"].format(days=str(ttl_days)),))

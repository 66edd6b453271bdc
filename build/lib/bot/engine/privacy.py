"""What is stored about a user, in plain words (for /mydata on every channel)."""

from __future__ import annotations

from bot.catalog.catalog import Catalog
from bot.engine.replies import Reply, Section
from bot.engine.session import Session


def stored_data(
    catalog: Catalog, session: Session | None, *, ttl_days: int, locale: str | None = None
) -> Reply:
    content = catalog.content(session.locale if session else locale)
    ui = content.ui
    if session is None or not (session.answers or session.step):
        return Reply(kind="info", sections=(Section(paragraphs=(ui["mydata_none"],)),))
    lines: list[str] = []
    for step_id, value in session.answers.items():
        options = content.steps[step_id].options if step_id in content.steps else {}
        values = (value,) if isinstance(value, str) else value
        lines.extend(options[v].answer or options[v].label for v in values if v in options)
    status = ui[f"mydata_status_{session.status}"]
    return Reply(
        kind="info",
        sections=(
            Section(title=ui["mydata_title"], paragraphs=(status,), bullets=tuple(lines)),
            Section(paragraphs=(ui["mydata_retention"].format(days=str(ttl_days)),)),
        ),
    )

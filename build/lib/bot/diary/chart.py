"""The diary as a picture (a PNG for Telegram and Slack) and as plain lines (the terminal).

Pure functions: a :class:`~bot.diary.model.Diary` in, bytes or strings out. Dates are
the user's local dates, because "Tuesday was bad" is what a user remembers. Every word
comes from content through :class:`ChartTexts` or the ``diary_*`` ui keys.

matplotlib is imported inside :func:`render_png`, not here: it takes far longer to
import than the rest of the bot, and only the diary command draws. Only the object API
and the Agg canvas are used, never pyplot: pyplot keeps global figures, which leak
memory and are not safe across threads or concurrent requests.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.catalog.content import Content
from bot.diary.model import Diary, Entry, Trend
from bot.frozen import frozen

if TYPE_CHECKING:
    from matplotlib.axes import Axes

WIDTH_IN, HEIGHT_IN, DPI = 8.0, 4.5, 100
"""800 x 450 pixels: readable in a chat preview, and a PNG of a few tens of kilobytes."""
SEVERITY_MAX = 10
TRENDS: tuple[Trend, ...] = ("better", "same", "worse")
STYLE: dict[Trend, tuple[str, str]] = {
    "better": ("#009E73", "^"),
    "same": ("#0072B2", "o"),
    "worse": ("#D55E00", "v"),
}
"""Colour and marker per trend (Okabe-Ito colours, told apart by shape too, so the
chart still reads for colour-blind users and in greyscale)."""
LINE_COLOUR = "#9E9E9E"
MIN_PAD_SECONDS = 2 * 86_400
"""Room either side of the first and last check-in. At least two days, so the date axis
always spans several days and gets daily (never hourly) ticks, even for one entry."""
SPASMS_STEP = "ck_spasms"
"""The check-in question whose option labels name the ``spasms`` ids."""


@frozen
class ChartTexts:
    """The localised words on the chart; see :meth:`from_content`."""

    title: str
    severity_axis: str
    date_axis: str
    better: str
    same: str
    worse: str
    date_format: str = "%Y-%m-%d"
    """strftime format of the date ticks (numeric by default: no month names to translate)."""

    @classmethod
    def from_content(cls, content: Content) -> ChartTexts:
        ui = content.ui
        return cls(
            title=ui["diary_chart_title"],
            severity_axis=ui["diary_chart_severity"],
            date_axis=ui["diary_chart_date"],
            better=ui["diary_trend_better"],
            same=ui["diary_trend_same"],
            worse=ui["diary_trend_worse"],
            date_format=ui["diary_date_format"],
        )

    def trend(self, trend: Trend) -> str:
        return {"better": self.better, "same": self.same, "worse": self.worse}[trend]


def zone_of(zone: str | None) -> dt.tzinfo:
    """The user's zone; UTC when none is known, or when a stored name is no longer valid
    (a diary must still show, a few hours off at worst, rather than fail)."""
    if not zone:
        return dt.UTC
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def local_time(at: int, zone: str | None) -> dt.datetime:
    """An entry's epoch seconds as an aware datetime in the user's zone."""
    return dt.datetime.fromtimestamp(at, zone_of(zone))


def local_date(at: int, zone: str | None, content: Content) -> str:
    """The local date of ``at`` in the content's date format."""
    return local_time(at, zone).strftime(content.ui["diary_date_format"])


def spasms_label(content: Content, spasms: str) -> str:
    """The check-in answer's label, or its id while the check-in has no content yet."""
    step = content.steps.get(SPASMS_STEP)
    option = step.options.get(spasms) if step is not None else None
    return option.label if option is not None else spasms


def trend_lines(diary: Diary, zone: str | None, content: Content) -> list[str]:
    """The diary as text, one line per check-in, oldest first (for the terminal)."""
    texts = ChartTexts.from_content(content)
    return [
        content.ui["diary_line"].format(
            date=local_date(entry.at, zone, content),
            trend=texts.trend(entry.trend),
            spasms=spasms_label(content, entry.spasms),
            severity=entry.severity,
        )
        for entry in diary.entries
    ]


def render_png(diary: Diary, *, zone: str | None, texts: ChartTexts) -> bytes:
    """Severity over local time, one marker per check-in shaped and coloured by trend."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)  # draws with Agg: no GUI backend, nothing global
    axes = figure.add_subplot()
    tz = zone_of(zone)
    _plot_entries(axes, diary.entries)
    _style_axes(axes, _moments(diary), tz, texts)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _moments(diary: Diary) -> list[int]:
    """What the date axis must show: the check-ins, or when the diary began if it is empty."""
    if diary.entries:
        return [e.at for e in diary.entries]
    return [diary.started] if diary.started is not None else []


def _date_numbers(moments: Sequence[int]) -> list[float]:
    """Epoch seconds as matplotlib's date numbers (the x coordinate of a date axis).

    Instants are converted in UTC; the axis's locator and formatter show them in the
    user's zone, so a check-in is placed at its true instant and labelled with its local date.
    """
    from matplotlib.dates import date2num

    instants = [dt.datetime.fromtimestamp(m, dt.UTC) for m in moments]
    numbers = date2num(instants)  # type: ignore[no-untyped-call]  # matplotlib.dates: no stubs
    return [float(n) for n in numbers]


def _plot_entries(axes: Axes, entries: Sequence[Entry]) -> None:
    """A faint line through the severities, then the markers on top of it."""
    xs = _date_numbers([e.at for e in entries])
    if len(entries) > 1:
        axes.plot(xs, [e.severity for e in entries], color=LINE_COLOUR, linewidth=1, zorder=1)
    for trend in TRENDS:
        mine = [(x, e.severity) for x, e in zip(xs, entries, strict=True) if e.trend == trend]
        if mine:
            colour, marker = STYLE[trend]
            axes.plot(
                [x for x, _ in mine],
                [y for _, y in mine],
                linestyle="none",
                marker=marker,
                markersize=8,
                color=colour,
                zorder=2,
            )


def _style_axes(axes: Axes, moments: Sequence[int], tz: dt.tzinfo, texts: ChartTexts) -> None:
    """Fixed 0-10 scale (so two charts compare at a glance), local dates, a full legend."""
    from matplotlib.dates import AutoDateLocator, DateFormatter
    from matplotlib.lines import Line2D

    axes.set_title(texts.title)
    axes.set_ylabel(texts.severity_axis)
    axes.set_xlabel(texts.date_axis)
    axes.set_ylim(-0.5, SEVERITY_MAX + 0.5)
    axes.set_yticks(range(SEVERITY_MAX + 1))
    axes.grid(True, color="#E0E0E0", linewidth=0.8)
    axes.set_axisbelow(True)
    if moments:
        axes.set_xlim(*_date_numbers(_date_span(moments)))
        locator = AutoDateLocator(tz=tz, minticks=3, maxticks=8)  # type: ignore[no-untyped-call]
        formatter = DateFormatter(texts.date_format, tz=tz)  # type: ignore[no-untyped-call]
        axes.xaxis.set_major_locator(locator)
        axes.xaxis.set_major_formatter(formatter)
    else:
        axes.set_xticks([])  # no dates to show: better no ticks than 1970
    handles = [
        Line2D([], [], linestyle="none", marker=STYLE[t][1], markersize=8, color=STYLE[t][0])
        for t in TRENDS
    ]
    labels = [texts.trend(t) for t in TRENDS]
    axes.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)


def _date_span(moments: Sequence[int]) -> tuple[int, int]:
    """The x range in epoch seconds: every moment, with room either side."""
    first, last = min(moments), max(moments)
    pad = max(MIN_PAD_SECONDS, round((last - first) * 0.04))
    return first - pad, last + pad

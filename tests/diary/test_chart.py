"""The diary chart is a non-blank PNG of the agreed size; the text version shows local dates."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from PIL import Image

from bot.catalog.catalog import Catalog
from bot.catalog.content import Content, OptionText, StepText
from bot.diary.chart import SPASMS_STEP, ChartTexts, render_png, trend_lines
from bot.diary.model import Diary
from tests.diary.diaries import DAY, T0, daily, entry

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def content(catalog: Catalog) -> Content:
    return catalog.content("en")


@pytest.fixture(scope="module")
def texts(content: Content) -> ChartTexts:
    return ChartTexts.from_content(content)


def decoded(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def colours(image: Image.Image) -> int:
    found = image.convert("RGB").getcolors(maxcolors=1 << 24)
    assert found is not None
    return len(found)


@pytest.mark.parametrize("count", [1, 120])
def test_the_chart_is_a_non_blank_800_by_450_png(count: int, texts: ChartTexts) -> None:
    png = render_png(daily(count), zone="Europe/London", texts=texts)
    assert png.startswith(PNG_SIGNATURE)
    image = decoded(png)
    assert image.format == "PNG"
    assert image.size == (800, 450)
    assert colours(image) > 1


def test_an_empty_diary_still_draws_an_empty_chart(texts: ChartTexts) -> None:
    image = decoded(render_png(Diary(), zone=None, texts=texts))
    assert image.size == (800, 450)
    assert colours(image) > 1


def test_chart_words_come_from_content(content: Content) -> None:
    texts = ChartTexts.from_content(content)
    assert texts.title == content.ui["diary_chart_title"]
    assert texts.severity_axis == content.ui["diary_chart_severity"]
    assert texts.date_axis == content.ui["diary_chart_date"]
    assert [texts.trend(t) for t in ("better", "same", "worse")] == [
        content.ui["diary_trend_better"],
        content.ui["diary_trend_same"],
        content.ui["diary_trend_worse"],
    ]


def day(content: Content, month: int, date: int) -> str:
    """A 2026 date as the content writes dates."""
    return dt.date(2026, month, date).strftime(content.ui["diary_date_format"])


def test_a_late_evening_utc_check_in_is_the_next_day_in_tokyo(content: Content) -> None:
    late = Diary(entries=(entry(T0 + 23 * 3600 + 30 * 60),))  # 2026-01-01 23:30 UTC
    assert trend_lines(late, "Asia/Tokyo", content)[0].startswith(day(content, 1, 2))
    assert trend_lines(late, "Europe/London", content)[0].startswith(day(content, 1, 1))
    assert trend_lines(late, None, content)[0].startswith(day(content, 1, 1))


def test_an_early_utc_check_in_is_the_day_before_in_new_york(content: Content) -> None:
    early = Diary(entries=(entry(T0 + DAY + 2 * 3600),))  # 2026-01-02 02:00 UTC
    assert trend_lines(early, "America/New_York", content)[0].startswith(day(content, 1, 1))


def test_an_unknown_zone_reads_as_utc(content: Content) -> None:
    late = Diary(entries=(entry(T0 + 23 * 3600),))
    assert trend_lines(late, "Not/AZone", content) == trend_lines(late, "UTC", content)


def test_one_line_per_check_in_with_trend_and_severity_out_of_ten(content: Content) -> None:
    diary = Diary(
        entries=(
            entry(T0, trend="worse", severity=7),
            entry(T0 + DAY, trend="better", severity=0),
        )
    )
    lines = trend_lines(diary, "UTC", content)
    assert len(lines) == 2
    assert content.ui["diary_trend_worse"] in lines[0]
    assert "7/10" in lines[0]
    assert content.ui["diary_trend_better"] in lines[1]
    assert "0/10" in lines[1]
    assert trend_lines(daily(120), "UTC", content)[-1].startswith(day(content, 4, 30))
    assert trend_lines(Diary(), "UTC", content) == []


def with_spasm_labels(content: Content, labels: dict[str, str] | None) -> Content:
    """The content with (or without) check-in spasm labels, whatever content/ has today."""
    steps = {k: v for k, v in content.steps.items() if k != SPASMS_STEP}
    if labels is not None:
        options = {k: OptionText(label=v) for k, v in labels.items()}
        steps[SPASMS_STEP] = StepText(question="How many?", options=options)
    return content.model_copy(update={"steps": steps})


def test_spasms_show_their_content_label_or_else_their_id(content: Content) -> None:
    diary = Diary(entries=(entry(T0, trend="same", severity=4),))  # spasms="few"

    def line(spasms: str) -> str:
        return content.ui["diary_line"].format(
            date=day(content, 1, 1),
            trend=content.ui["diary_trend_same"],
            spasms=spasms,
            severity=4,
        )

    labelled = with_spasm_labels(content, {"few": "One or two"})
    assert trend_lines(diary, "UTC", labelled) == [line("One or two")]
    assert trend_lines(diary, "UTC", with_spasm_labels(content, None)) == [line("few")]

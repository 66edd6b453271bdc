"""Fixtures the reminder tests share."""

from __future__ import annotations

import pytest

from tests.reminders.harness import ShiftedClock


@pytest.fixture
def clock() -> ShiftedClock:
    """Wall time plus an offset the test sets (``clock.at(zone, ...)``)."""
    return ShiftedClock()

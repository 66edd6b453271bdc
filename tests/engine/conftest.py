"""Fixtures for the engine tests: the real catalog and a fresh chat per test."""

from __future__ import annotations

import pytest

from bot.catalog.catalog import Catalog
from bot.catalog.content import Content
from bot.catalog.flow import Flow
from bot.catalog.loader import load_catalog
from tests.engine.chat import EngineChat


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    """The real flows/ and content/, loaded once."""
    return load_catalog()


@pytest.fixture(scope="session")
def flow(catalog: Catalog) -> Flow:
    return catalog.flow("kneecheck")


@pytest.fixture(scope="session")
def content(catalog: Catalog) -> Content:
    return catalog.content("en")


@pytest.fixture
def chat(catalog: Catalog) -> EngineChat:
    """A user who has not said anything yet."""
    return EngineChat(catalog)

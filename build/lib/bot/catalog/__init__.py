"""Flows and content: schemas, loading and cross-checking."""

from bot.catalog.catalog import Catalog
from bot.catalog.content import Content
from bot.catalog.flow import Flow

__all__ = ["Catalog", "Content", "Flow"]

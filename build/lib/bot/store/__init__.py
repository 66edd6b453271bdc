"""Where sessions live: the store contract and its Redis implementation."""

from bot.store.base import SessionStore, StoreUnavailable
from bot.store.keys import KeyBuilder, UserRef
from bot.store.redis import RedisSessionStore

__all__ = ["KeyBuilder", "RedisSessionStore", "SessionStore", "StoreUnavailable", "UserRef"]

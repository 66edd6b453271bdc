"""Who a browser is: a random anonymous id in a signed cookie.

No account, no name, nothing the person typed: ``secrets.token_urlsafe`` makes the id and an
HMAC-SHA256 with ``WEB_CHAT_SECRET`` signs it, so a cookie cannot be made up or edited to
read someone else's conversation (a guessed id would need its signature). A cookie that does
not verify is treated as no cookie: the browser gets a new id and a new, empty conversation.
HttpOnly keeps the page's own script (and anything injected into it) away from the id;
SameSite=Strict means another site cannot post to the chat as this browser.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

COOKIE = "kneecheck_chat"
ID_BYTES = 16
"""128 bits: 22 URL-safe characters, within a store key part's alphabet."""
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_CONTEXT = b"kneecheck web chat id\x00"
"""Domain separation: the secret signs nothing else in this shape."""


def new_id() -> str:
    return secrets.token_urlsafe(ID_BYTES)


def _signature(secret: bytes, user_id: str) -> str:
    digest = hmac.new(secret, _CONTEXT + user_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def sign(secret: bytes, user_id: str) -> str:
    """The cookie's value: ``<id>.<signature>``."""
    return f"{user_id}.{_signature(secret, user_id)}"


def verify(secret: bytes, value: str | None) -> str | None:
    """The id a cookie carries, or None when it is missing, malformed or not signed by us."""
    if not value or len(value) > 200:
        return None
    user_id, dot, signature = value.partition(".")
    if not dot or not _ID.match(user_id):
        return None
    if not hmac.compare_digest(signature, _signature(secret, user_id)):
        return None
    return user_id

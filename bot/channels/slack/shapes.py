"""The requests kneecheck's Slack app answers, as pydantic models: anything else is ignored.

Signed requests come only from Slack, but a signed body is not a well-formed one (a proxy, a
replay of a mangled body, a Slack change). slack_bolt reads the ids of a request (enterprise,
team, user, channel, authorizations) before any listener runs and fails with a 500 on an
unexpected type, or logs a request no listener matches with its whole body. So a body is
handed to bolt only when it is one of the four shapes kneecheck listens to, with every field
bolt or kneecheck reads of the right type: the URL check, a message event, ``/kneecheck``,
and a button press. Everything else is acknowledged (so Slack does not retry it) and dropped.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    TypeAdapter,
    ValidationError,
)

from bot.channels.slack.app import COMMAND

Text = StrictStr | None


class _Loose(BaseModel):
    """Slack adds fields at will: unknown ones are kept, known ones must have their type."""

    model_config = ConfigDict(extra="allow")


class _Named(_Loose):
    id: Text = None
    team_id: Text = None


class _Authorization(_Loose):
    enterprise_id: Text = None
    team_id: Text = None
    user_id: Text = None
    is_bot: StrictBool | None = None
    is_enterprise_install: StrictBool | None = None


class _Ids(_Loose):
    """What bolt's context reads from any request."""

    enterprise_id: Text = None
    enterprise: _Named | StrictStr | None = None
    team_id: Text = None
    team: _Named | StrictStr | None = None
    user_id: Text = None
    channel_id: Text = None
    channel: _Named | StrictStr | None = None
    is_enterprise_install: StrictBool | Literal["true", "false"] | None = None  # a form's text
    authorizations: list[_Authorization] | None = None
    api_app_id: Text = None
    response_url: Text = None
    trigger_id: Text = None
    token: Text = None
    context_team_id: Text = None
    context_enterprise_id: Text = None


class UrlVerification(_Loose):
    type: Literal["url_verification"]
    challenge: StrictStr


class _Message(_Loose):
    type: Literal["message"]
    channel: Text = None
    user: Text = None
    text: Text = None
    ts: Text = None
    thread_ts: Text = None
    channel_type: Text = None
    subtype: Text = None
    bot_id: Text = None
    team: Text = None
    client_msg_id: Text = None


class MessageEvent(_Ids):
    type: Literal["event_callback"]
    user: _Named | StrictStr | None = None
    event: _Message
    event_id: StrictStr


class _Action(_Loose):
    action_id: StrictStr
    block_id: Text = None
    value: Text = None
    type: Text = None
    action_ts: Text = None


class _Container(_Loose):
    type: Text = None
    message_ts: Text = None
    channel_id: Text = None
    is_ephemeral: StrictBool | None = None


class ButtonPress(_Ids):
    type: Literal["block_actions"]
    user: _Named
    response_url: StrictStr  # every answer to a press goes there
    actions: list[_Action] = Field(min_length=1)
    container: _Container | None = None
    message: dict[str, Any] | None = None
    state: dict[str, Any] | None = None


class SlashCommand(_Ids):
    command: StrictStr
    text: StrictStr = ""
    user_id: StrictStr
    channel_id: StrictStr
    team_id: StrictStr
    user: None = None


_PAYLOAD: TypeAdapter[UrlVerification | MessageEvent | ButtonPress] = TypeAdapter(
    Annotated[UrlVerification | MessageEvent | ButtonPress, Field(discriminator="type")]
)
_COMMAND = TypeAdapter(SlashCommand)


def answered(body: dict[str, Any], *, form: bool) -> bool:
    """Whether ``body`` (a parsed JSON payload, or a slash command's ``form`` fields) is a
    request kneecheck answers, with every field read of the right type."""
    try:
        if form and "payload" not in body:
            if _COMMAND.validate_python(body).command != COMMAND:
                return False
        else:
            _PAYLOAD.validate_python(body)
    except ValidationError:
        return False
    return True

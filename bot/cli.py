"""The ``kneecheck`` command: run, chat, and flow tooling."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from bot.settings import Settings, problems_of

if TYPE_CHECKING:  # wiring imports every library: a command that fails early needs none
    from aiohttp import web

    from bot.parts import App


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kneecheck")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kneecheck", description="kneecheck: run the bot, chat in the terminal, check flows."
    )
    parser.add_argument("--version", action="version", version=f"kneecheck {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser(
        "run", help="start the bot on the configured channels (terminal chat without tokens)"
    )
    sub.add_parser(
        "telegram", help="run the Telegram bot with long polling (needs TELEGRAM_BOT_TOKEN)"
    )
    slack = sub.add_parser(
        "slack", help="run the Slack app: HTTP at /slack/events on PORT, or --socket"
    )
    slack.add_argument(
        "--socket", action="store_true", help="Socket Mode (needs SLACK_APP_TOKEN), no public URL"
    )
    sub.add_parser(
        "serve", help="the web service on PORT: Telegram webhook, Slack events, /healthz, /metrics"
    )
    sub.add_parser("worker", help="deliver follow-up reminders from the queue (run one or more)")
    sub.add_parser("set-webhook", help="register TELEGRAM_WEBHOOK_URL with Telegram (once)")
    sub.add_parser("config", help="print the effective configuration, secrets masked")
    chat = sub.add_parser("chat", help="talk to kneecheck in the terminal (reads a pipe too)")
    chat.add_argument("--user", default="local", help="who you are in the store (default: local)")
    chat.add_argument("--locale", default=None, help="language, e.g. en (default: settings)")
    flows = sub.add_parser("flows", help="validate or draw the flows")
    flows_sub = flows.add_subparsers(dest="flows_command", required=True)
    for name, text in (
        ("check", "cross-check flows/ and content/"),
        ("graph", "print a Mermaid diagram"),
        ("eval", "measure typed-text understanding on the labelled corpus"),
    ):
        cmd = flows_sub.add_parser(name, help=text)
        cmd.add_argument("--flows-dir", type=Path, default=None)
        cmd.add_argument("--content-dir", type=Path, default=None)
        if name == "graph":
            cmd.add_argument("--flow", default="kneecheck")
        if name == "eval":
            cmd.add_argument("--corpus", type=Path, default=None)
            cmd.add_argument("--quiet", action="store_true", help="figures only, no misses")
    return parser


class RedisUnreachable(Exception):
    """Said in one line by :func:`main`: a wrong REDIS_URL is a setting, not a crash."""


async def _reachable(app: App, settings: Settings) -> None:
    """Redis answers, or the command stops with one line (instead of a traceback for every
    turn, every reminder poll and the shutdown)."""
    if not app.embedded and not await app.store.ping():
        await app.close()
        where = settings.described().get("REDIS_URL", "REDIS_URL")
        raise RedisUnreachable(
            f"cannot reach Redis at {where}: check REDIS_URL and that Redis is running"
        )


async def _serve_beside(app: App, settings: Settings) -> tuple[web.AppRunner | None, str]:
    """`kneecheck run` without chat tokens: the configured channels' routes (the web chat)
    on PORT beside the terminal chat, on this machine only unless HOST is set; a port in use
    is said in a line, and the terminal chat goes on."""
    from aiohttp import web

    from bot.channels import registry
    from bot.web import create_web_app

    if "web" not in (entry.name for entry in registry.configured(settings) if entry.mount):
        return None, ""
    web_app = create_web_app(app)
    host = settings.host if "host" in settings.model_fields_set else "127.0.0.1"
    runner = web.AppRunner(web_app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, settings.port).start()
    except OSError:
        await runner.cleanup()
        return None, f"The web chat did not start: port {settings.port} is in use (set PORT)."
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host
    return runner, f"The web chat is at http://{shown}:{int(runner.addresses[0][1])}/chat"


async def _chat(settings: Settings, user: str, locale: str | None, *, web: bool = False) -> None:
    from bot.channels import registry
    from bot.channels.terminal import TerminalChat, TerminalCourier
    from bot.channels.terminal_entry import PREFIX as TERMINAL
    from bot.reminders.worker import in_process_worker
    from bot.store.keys import UserRef
    from bot.wiring import build_app

    app = build_app(settings)
    await _reachable(app, settings)
    content = app.catalog.content(locale or settings.default_locale)
    chat = TerminalChat(app.actions, UserRef(TERMINAL, user), locale=locale)
    chat.tell(content.ui["terminal_intro"])
    if app.embedded:
        chat.tell(content.ui["terminal_embedded"])
    runner, address = await _serve_beside(app, settings) if web else (None, "")
    if address:
        chat.tell(address)
    chat.say("")
    found = {**registry.couriers(app), TERMINAL: TerminalCourier(chat)}
    try:
        async with in_process_worker(app, found, grace_seconds=0):
            await chat.run()
    finally:
        if runner is not None:
            await runner.cleanup()
        await app.close()


async def _telegram(settings: Settings) -> None:
    from bot.channels import registry
    from bot.channels.telegram.runner import run_polling
    from bot.reminders.worker import in_process_worker
    from bot.wiring import build_app

    app = build_app(settings)
    await _reachable(app, settings)
    if app.embedded:
        logging.getLogger("kneecheck").warning(
            "no REDIS_URL: conversations live in an embedded in-process Redis, gone on exit"
        )
    try:
        async with in_process_worker(app, registry.couriers(app)):
            await run_polling(app)
    finally:
        await app.close()


async def _slack(settings: Settings, *, socket: bool) -> None:
    from bot.channels import registry
    from bot.channels.slack.runner import run_http, run_socket
    from bot.reminders.worker import in_process_worker
    from bot.wiring import build_app

    app = build_app(settings)
    await _reachable(app, settings)
    if app.embedded:
        logging.getLogger("kneecheck").warning(
            "no REDIS_URL: conversations live in an embedded in-process Redis, gone on exit"
        )
    try:
        async with in_process_worker(app, registry.couriers(app)):
            await (run_socket(app) if socket else run_http(app))
    finally:
        await app.close()


async def _worker(settings: Settings) -> int:
    from bot.channels import registry
    from bot.reminders.worker import run_worker
    from bot.wiring import build_app

    if settings.redis_url is None:
        print(
            "kneecheck worker: set REDIS_URL (a worker shares the queue with the web "
            "processes; the embedded Redis lives inside one process)",
            file=sys.stderr,
        )
        return 2
    app = build_app(settings)
    await _reachable(app, settings)
    await run_worker(app, registry.couriers(app))
    return 0


def _slack_problem(settings: Settings, *, socket: bool) -> str | None:
    """What is missing to run Slack in that mode, in the words of the environment."""
    if settings.slack_bot_token is None:
        return "set SLACK_BOT_TOKEN first"
    if socket and settings.slack_app_token is None:
        return "Socket Mode needs SLACK_APP_TOKEN (an xapp- app-level token)"
    if not socket and settings.slack_signing_secret is None:
        return "set SLACK_SIGNING_SECRET first (or use --socket with SLACK_APP_TOKEN)"
    return None


def _logging(settings: Settings) -> None:
    from bot.logs import configure

    configure(settings.log_level, settings.log_format)


def _serve_problem(settings: Settings) -> str | None:
    """Why `kneecheck serve` must not start: it exists to run as several processes behind a
    load balancer, which the embedded in-process Redis cannot serve (each would hold its own
    conversations, and `/healthz` would say 200 all the same), and with no channel it serves
    nobody. `kneecheck run` is the one-process way to try kneecheck."""
    if settings.redis_url is None:
        return (
            "set REDIS_URL: web processes share conversations through Redis, and the "
            "embedded one lives inside a single process (`kneecheck run` needs none)"
        )
    from bot.channels import registry

    if not any(entry.mount is not None for entry in registry.configured(settings)):
        return (
            "set TELEGRAM_BOT_TOKEN, SLACK_BOT_TOKEN or WEB_CHAT_SECRET: "
            "with no channel it serves nobody"
        )
    return None


async def _web(settings: Settings, command: str) -> int:
    from bot.web import serve, set_webhook
    from bot.wiring import build_app

    problem = _serve_problem(settings) if command == "serve" else None
    if problem is not None:
        print(f"kneecheck serve: {problem}", file=sys.stderr)
        return 2
    app = build_app(settings)
    try:
        if command == "set-webhook":
            print(await set_webhook(app))
        else:
            await serve(app)
    except RuntimeError as exc:  # a configuration problem, said in one line
        print(f"kneecheck {command}: {exc}", file=sys.stderr)
        return 2
    finally:
        await app.store.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except RedisUnreachable as problem:
        print(f"kneecheck: {problem}", file=sys.stderr)
        return 2


def _main(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "flows":
        from bot.catalog.commands import run_check, run_graph

        if args.flows_command == "check":
            return run_check(args.flows_dir, args.content_dir)
        if args.flows_command == "eval":
            from bot.catalog.evaluation import run_eval
            from bot.catalog.loader import CONTENT_DIR, FLOWS_DIR, load_catalog

            catalog = load_catalog(args.flows_dir or FLOWS_DIR, args.content_dir or CONTENT_DIR)
            return run_eval(catalog, args.corpus, verbose=not args.quiet)
        return run_graph(args.flow, args.flows_dir, args.content_dir)
    try:
        settings = Settings()
    except ValidationError as exc:
        for line in problems_of(exc):
            print(f"kneecheck: {line}", file=sys.stderr)
        return 2
    _logging(settings)
    if args.command in ("worker", "serve", "telegram", "slack"):
        from bot.serving import arm_exit_deadline

        arm_exit_deadline()
    if args.command == "config":
        for name, value in settings.described().items():
            print(f"{name}={value}")
        return 0
    if args.command == "worker":
        return asyncio.run(_worker(settings))
    if args.command in ("serve", "set-webhook"):
        return asyncio.run(_web(settings, args.command))
    if args.command == "telegram" or (args.command == "run" and settings.telegram_bot_token):
        if settings.telegram_bot_token is None:
            print("kneecheck telegram: set TELEGRAM_BOT_TOKEN first", file=sys.stderr)
            return 2
        from telegram.error import InvalidToken

        try:
            asyncio.run(_telegram(settings))
        except InvalidToken:
            # PTB's message quotes the token: one line without it, and no traceback.
            print(
                "kneecheck telegram: Telegram rejected TELEGRAM_BOT_TOKEN "
                "(check it with @BotFather)",
                file=sys.stderr,
            )
            return 2
        return 0
    if args.command == "slack" or (args.command == "run" and settings.slack_bot_token):
        # `run` uses Socket Mode when an app-level token is set: no public URL needed.
        socket = args.socket if args.command == "slack" else settings.slack_app_token is not None
        problem = _slack_problem(settings, socket=socket)
        if problem is not None:
            print(f"kneecheck {args.command}: {problem}", file=sys.stderr)
            return 2
        asyncio.run(_slack(settings, socket=socket))
        return 0
    # The terminal chat: the person reads the same screen the logs would go to, so only
    # warnings show there unless LOG_LEVEL asks for more; Ctrl-C ends it at once (130).
    if "LOG_LEVEL" not in os.environ:
        logging.getLogger().setLevel(logging.WARNING)
        # saq's shutdown on Ctrl-C leaves a cancelled gather that asyncio reports as an error.
        logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    user, locale = ("local", None) if args.command == "run" else (args.user, args.locale)
    if args.command == "run":
        # The web chat beside the terminal's: its cookies are signed with a secret of this
        # process's own unless one is set (the embedded Redis is this process's too).
        import secrets

        os.environ.setdefault("WEB_CHAT_SECRET", secrets.token_urlsafe(32))
    try:
        asyncio.run(_chat(settings, user, locale, web=args.command == "run"))
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

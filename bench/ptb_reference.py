"""The reference for ``bench.telegram``: the usual way of building this bot with PTB.

A PTB ``Application`` with a ``ConversationHandler`` whose states are the flow's steps
(built from flows/kneecheck.yaml and content/en.yaml, so the same questions, buttons,
branches and texts as ours), answers and ticks in ``context.user_data``, and
``PicklePersistence`` to a temporary file with its defaults (written every 60 s and at
shutdown). Updates arrive as the webhook bytes would: secret checked, ``json.loads``,
``Update.de_json``, ``Application.process_update``. Bot API calls go to the same
:class:`bench.telegram.StubRequest`, and the same driver plays the same users.

Single-choice steps: a button per option; the answered question is edited into
question + answer and the next question is sent. Multi-choice steps: ticks toggle in
place (``editMessageReplyMarkup``) and Done moves on. The assessment is composed by the
same pure ``bot.engine.assessment.assess`` over the answers, so both sides send the same
texts; only the transport and the state handling differ.

Run on its own:  .venv/bin/python -m bench.ptb_reference --users 2000 --in-flight 100
(``bench.telegram`` runs it in a subprocess and prints it next to ours).
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import json
import os
import pickle
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Coroutine
from html import escape
from pathlib import Path
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    PicklePersistence,
    filters,
)
from telegram.warnings import PTBUserWarning

from bench.telegram import SECRET, TOKEN, Driver, Figures, StubRequest, print_table
from bot.catalog.catalog import Catalog
from bot.catalog.flow import Flow, Step
from bot.catalog.loader import load_catalog
from bot.engine.assessment import assess
from bot.engine.replies import Reply, Section

os.environ.setdefault("PTB_TIMEDELTA", "true")

Context = ContextTypes.DEFAULT_TYPE
Answers = dict[str, str | tuple[str, ...]]
State = str | int | None
Callback = Callable[[Update, Context], Coroutine[Any, Any, State]]
DONE, BACK = "!done", "back"
TICKED, UNTICKED = "\u2705 ", "\u2b1c "
MESSAGE_LIMIT = 4096


def section_html(section: Section) -> str:
    lines: list[str] = []
    if section.title:
        lines.append(f"<b>{escape(section.title, quote=False)}</b>")
    lines += [escape(p, quote=False) for p in section.paragraphs]
    lines += [f"\u2022 {escape(b, quote=False)}" for b in section.bullets]
    lines += [f"{i}. {escape(s, quote=False)}" for i, s in enumerate(section.steps, 1)]
    return "\n".join(lines)


def html_messages(reply: Reply) -> list[str]:
    """The reply as HTML messages, split between sections under Telegram's 4,096 characters."""
    chunks: list[str] = []
    current = ""
    for section in reply.sections:
        html = section_html(section)
        joined = f"{current}\n\n{html}" if current else html
        if len(joined) > MESSAGE_LIMIT and current:
            chunks.append(current)
            joined = html
        current = joined
    return [*chunks, current] if current else chunks


class KneecheckConversation:
    """The flow as a ConversationHandler: one state per step, state data in user_data."""

    def __init__(self, catalog: Catalog, flow_id: str = "kneecheck") -> None:
        self.flow: Flow = catalog.flow(flow_id)
        self.content = catalog.content(None)
        self.ui = self.content.ui

    def handler(self) -> ConversationHandler[Context]:
        states: dict[object, list[Any]] = {}
        for step in self.flow.steps:
            states[step.id] = [
                CallbackQueryHandler(self.on_button(step), pattern=f"^{step.id}:"),
                CallbackQueryHandler(self.on_back, pattern=f"^{BACK}$"),
                MessageHandler(filters.TEXT & ~filters.COMMAND, self.on_text(step)),
            ]
        return ConversationHandler(
            entry_points=[CommandHandler(["start", "kneecheck"], self.on_start)],
            states=states,
            fallbacks=[
                CommandHandler(["start", "kneecheck", "restart"], self.on_start),
                CommandHandler("stop", self.on_stop),
                CallbackQueryHandler(self.on_stale),
            ],
            per_message=False,
            name="kneecheck",
            persistent=True,
        )

    # -- rendering ----------------------------------------------------------------------------

    def progress(self, step: Step, answers: Answers) -> str:
        """ "Question n of m": answered so far, plus what the path from here still asks."""
        remaining, node = 0, step.id
        while (current := self.flow.step(node)) is not None:
            remaining += 1
            node = self.next_node(current, answers)
        done = sum(1 for key in answers if key != step.id)
        return self.ui["progress"].format(n=done + 1, total=done + remaining)

    def question_html(self, step: Step, answers: Answers) -> str:
        text = self.content.steps[step.id]
        section = Section(
            title=self.progress(step, answers),
            paragraphs=tuple(
                p
                for p in (text.question, text.help, step.kind == "multi" and self.ui["multi_hint"])
                if isinstance(p, str)
            ),
        )
        return section_html(section)

    def keyboard(self, step: Step, answers: Answers, ticked: list[str]) -> InlineKeyboardMarkup:
        labels = self.content.steps[step.id].options
        rows: list[list[InlineKeyboardButton]] = []
        for option in step.options:
            label = labels[option.id].label
            if step.kind == "multi":
                label = (TICKED if option.id in ticked else UNTICKED) + label
            rows.append([InlineKeyboardButton(label, callback_data=f"{step.id}:{option.id}")])
        last: list[InlineKeyboardButton] = []
        if step.kind == "multi":
            last.append(InlineKeyboardButton(self.ui["done"], callback_data=f"{step.id}:{DONE}"))
        if answers:
            last.append(InlineKeyboardButton(self.ui["back"], callback_data=BACK))
        if last:
            rows.append(last)
        return InlineKeyboardMarkup(rows)

    def answer_text(self, step: Step, value: str | tuple[str, ...]) -> str:
        labels = self.content.steps[step.id].options
        values = (value,) if isinstance(value, str) else value
        return self.ui["answer_joiner"].join(labels[v].label for v in values)

    # -- state -------------------------------------------------------------------------------

    @staticmethod
    def answers(context: Context) -> Answers:
        data = context.user_data
        assert data is not None
        answers: Answers = data.setdefault("answers", {})
        return answers

    @staticmethod
    def ticked(context: Context) -> list[str]:
        data = context.user_data
        assert data is not None
        ticked: list[str] = data.setdefault("ticked", [])
        return ticked

    @staticmethod
    def next_node(step: Step, answers: Answers) -> str:
        for transition in step.next:
            if transition.when is None or transition.when.holds(answers):
                return transition.to
        raise ValueError(f"step {step.id!r} has no way on")

    async def ask(self, update: Update, context: Context, step: Step) -> State:
        answers = self.answers(context)
        chat = update.effective_chat
        assert chat is not None
        await context.bot.send_message(
            chat.id,
            self.question_html(step, answers),
            parse_mode=ParseMode.HTML,
            reply_markup=self.keyboard(step, answers, self.ticked(context)),
        )
        return step.id

    async def advance(self, update: Update, context: Context, step: Step) -> State:
        """After ``step`` was answered: the next question, or the outcome and the end."""
        answers = self.answers(context)
        node = self.next_node(step, answers)
        following = self.flow.step(node)
        if following is not None:
            return await self.ask(update, context, following)
        chat = update.effective_chat
        assert chat is not None
        outcome = self.flow.outcome(node)
        if outcome is not None and outcome.kind == "assessment":
            texts = html_messages(assess(self.flow, self.content, answers))
        else:
            texts = [escape(self.content.outcomes[node].text, quote=False)]
        for text in texts:
            await context.bot.send_message(chat.id, text, parse_mode=ParseMode.HTML)
        return ConversationHandler.END

    # -- handlers ----------------------------------------------------------------------------

    async def on_start(self, update: Update, context: Context) -> State:
        assert context.user_data is not None
        context.user_data.clear()
        first = self.flow.step(self.flow.start)
        assert first is not None
        return await self.ask(update, context, first)

    async def on_stop(self, update: Update, context: Context) -> State:
        assert context.user_data is not None
        assert update.effective_message is not None
        context.user_data.clear()
        await update.effective_message.reply_text(self.ui["stopped"])
        return ConversationHandler.END

    async def on_stale(self, update: Update, context: Context) -> State:
        assert update.callback_query is not None
        await update.callback_query.answer(self.ui["stale"])
        return None

    async def on_back(self, update: Update, context: Context) -> State:
        query = update.callback_query
        assert query is not None
        answers = self.answers(context)
        self.ticked(context).clear()
        if not answers:
            await query.answer(self.ui["at_first"])
            return None
        previous = list(answers)[-1]
        del answers[previous]
        await query.answer()
        await query.edit_message_reply_markup(None)
        step = self.flow.step(previous)
        assert step is not None
        return await self.ask(update, context, step)

    def on_button(self, step: Step) -> Callback:
        options = [o.id for o in step.options]
        exclusive = {o.id for o in step.options if o.exclusive}

        async def pressed(update: Update, context: Context) -> State:
            query = update.callback_query
            assert query is not None
            assert query.data is not None
            choice = query.data.partition(":")[2]
            answers, ticked = self.answers(context), self.ticked(context)
            if step.kind == "multi" and choice != DONE:
                if choice not in options:
                    await query.answer(self.ui["unknown_option"])
                    return None
                if choice in ticked:
                    ticked.remove(choice)
                elif choice in exclusive:
                    ticked[:] = [choice]
                else:
                    ticked[:] = [t for t in ticked if t not in exclusive] + [choice]
                await query.answer()
                await query.edit_message_reply_markup(self.keyboard(step, answers, ticked))
                return None
            if step.kind == "multi":
                if not ticked:
                    await query.answer(self.ui["multi_empty"])
                    return None
                value: str | tuple[str, ...] = tuple(o for o in options if o in ticked)
            elif choice in options:
                value = choice
            else:
                await query.answer(self.ui["unknown_option"])
                return None
            asked = self.question_html(step, answers)
            answers[step.id] = value
            ticked.clear()
            await query.answer()
            answer = escape(self.answer_text(step, value), quote=False)
            await query.edit_message_text(
                f"{asked}\n\n\u27a1\ufe0f <b>{answer}</b>", parse_mode=ParseMode.HTML
            )
            return await self.advance(update, context, step)

        return pressed

    def on_text(self, step: Step) -> Callback:
        """Typed answers: an option's label or one of its synonyms, as usual bots do."""
        texts = self.content.steps[step.id].options
        phrases = {
            phrase.lower(): option
            for option, text in texts.items()
            for phrase in (text.label, *text.synonyms)
        }

        async def typed(update: Update, context: Context) -> State:
            message = update.effective_message
            assert message is not None
            assert message.text is not None
            option = phrases.get(message.text.strip().lower())
            if option is None:
                await message.reply_text(self.ui["no_match"])
                return None
            self.answers(context)[step.id] = option if step.kind == "single" else (option,)
            self.ticked(context).clear()
            return await self.advance(update, context, step)

        return typed


def build_reference(
    catalog: Catalog, request: StubRequest, pickle_path: Path
) -> Application[Any, Any, Any, Any, Any, Any]:
    with warnings.catch_warnings():
        # "If 'per_message=False', 'CallbackQueryHandler' will not be tracked for every
        # message": the usual setup for a conversation whose buttons live in one chat.
        warnings.filterwarnings("ignore", category=PTBUserWarning)
        handler = KneecheckConversation(catalog).handler()
    application = (
        ApplicationBuilder()
        .token(TOKEN)
        .request(request)
        .persistence(PicklePersistence(filepath=pickle_path))
        .updater(None)
        .build()
    )
    application.add_handler(handler)
    return application


async def run(users: int, in_flight: int) -> Figures:
    catalog = load_catalog()
    stub = StubRequest()
    with tempfile.TemporaryDirectory() as tmp:
        pickle_path = Path(tmp) / "kneecheck.pickle"
        application = build_reference(catalog, stub, pickle_path)

        async def handle(body: bytes) -> None:
            # What a webhook endpoint does the usual way (PTB's own webhook server likewise).
            if not hmac.compare_digest(SECRET.encode(), SECRET.encode()):
                raise RuntimeError("secret")
            update = Update.de_json(json.loads(body), application.bot)
            await application.process_update(update)

        driver = Driver(handle, stub, catalog.content("en"))
        async with application:
            await application.start()
            try:
                await driver.warm_up(min(in_flight, users))
                figures = await driver.run(users, in_flight)
                written_during_run = pickle_path.exists()
            finally:
                await application.stop()
            shutdown_started = time.perf_counter()
        # Leaving the context shut the application down: PicklePersistence wrote its file.
        figures["pickle_written_during_run"] = "yes" if written_during_run else "no"
        figures["pickle_write_at_shutdown_s"] = time.perf_counter() - shutdown_started
        figures["pickle_bytes"] = pickle_path.stat().st_size
        with pickle_path.open("rb") as saved:
            data = pickle.load(saved)
        figures["users_in_pickle"] = len(data.get("user_data", {}))
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--in-flight", type=int, default=100)
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line")
    args = parser.parse_args(argv)
    figures = asyncio.run(run(args.users, args.in_flight))
    if args.json:
        print(json.dumps(figures))
        return
    command = " ".join([".venv/bin/python", "-m", "bench.ptb_reference", *sys.argv[1:]])
    print(f"command: {command}")
    print_table(figures, None, name="reference")


if __name__ == "__main__":
    main()

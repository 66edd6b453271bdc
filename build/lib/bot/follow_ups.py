"""/reminders, /diary and /summary as channel-neutral replies, for every channel.

The summary is built from the finished check kept when the assessment was given (the
``profile`` value), so starting a check-in or the follow-up offer, which replace the
conversation in progress, never loses what the user told us. The chart is drawn in a
thread: matplotlib is CPU-bound and must not hold up other users' turns.
"""

from __future__ import annotations

import asyncio

from bot.catalog.content import Content
from bot.conversations import Conversations
from bot.diary.chart import ChartTexts, render_png, trend_lines
from bot.diary.summary import summary
from bot.engine.machine import DEFAULT_FLOW
from bot.engine.replies import Reply, Section
from bot.engine.session import Session
from bot.reminders.service import ReminderService
from bot.store.keys import UserRef


class FollowUpViews:
    def __init__(self, conversations: Conversations, reminders: ReminderService) -> None:
        self.conversations = conversations
        self.catalog = conversations.catalog
        self.service = reminders

    async def reminders(self, user: UserRef, content: Content) -> Reply:
        return self.service.listing(content, await self.service.load(user))

    async def summary(self, user: UserRef, content: Content) -> Reply:
        answers = await self.service.profile(user)
        session = None
        if answers:
            session = Session(
                flow=DEFAULT_FLOW, status="done", answers=answers, outcome="assessment"
            )
        else:
            current = await self.conversations.current(user)
            if current is not None and current.flow == DEFAULT_FLOW:
                session = current
        diary = await self.service.diary(user)
        zone = await self.service.zone(user)
        return summary(self.catalog, session, diary, zone=zone, locale=content.locale)

    async def diary_chart(self, user: UserRef, content: Content) -> bytes | None:
        diary = await self.service.diary(user)
        if not diary.entries:
            return None
        zone = await self.service.zone(user)
        texts = ChartTexts.from_content(content)
        return await asyncio.to_thread(render_png, diary, zone=zone, texts=texts)

    async def diary_text(self, user: UserRef, content: Content) -> Reply:
        diary = await self.service.diary(user)
        zone = await self.service.zone(user)
        lines = trend_lines(diary, zone, content) or [content.ui["diary_empty"]]
        title = content.ui["diary_chart_title"]
        return Reply(kind="info", sections=(Section(title=title, paragraphs=tuple(lines)),))

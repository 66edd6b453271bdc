"""The web chat: a chat page served by ``kneecheck serve`` (and ``kneecheck run``).

A channel like the others, and the proof of the channel contract: this package and one line
in :func:`bot.channels.registry.entries`, nothing else changed. The page is plain HTML, CSS
and a small script shipped here (``static/``); the browser is identified by a random
anonymous id in a signed cookie (:mod:`.identity`); what the bot says goes into a per-user
Redis stream (:mod:`.stream`) that the page reads over server-sent events, so every tab of
one browser, every process behind a load balancer and ``kneecheck worker``'s reminders all
meet in one place; the page's actions come in as JSON posts (:mod:`.routes`).
"""

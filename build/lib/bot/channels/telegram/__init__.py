"""The Telegram channel: python-telegram-bot as the transport, our engine and Redis as the state."""

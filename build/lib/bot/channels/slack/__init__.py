"""The Slack channel: slack-bolt as the transport, our engine and Redis as the state."""

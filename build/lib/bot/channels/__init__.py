"""Channel adapters: translate platform input to engine events and replies to platform output."""

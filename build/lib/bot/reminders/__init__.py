"""Follow-up reminders: when they fall due (pure) and, later, how they are delivered."""

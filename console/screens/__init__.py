"""The console's screens, one per module, each with its styles in a `.tcss` beside it."""

"""buurt console: the Textual TUI and the `buurt` command line staff use."""

__version__ = "0.1.0"

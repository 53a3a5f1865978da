"""The Textual app: a thin App, one widget per module, styles in app.tcss."""

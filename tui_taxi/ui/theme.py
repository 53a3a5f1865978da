"""The presenter theme: maximum contrast for a projector (pure black, pure white, bright accents)."""

from __future__ import annotations

from textual.theme import Theme

PRESENTER = Theme(
    name="tui-taxi-presenter",
    primary="#ffd700",
    secondary="#00d7ff",
    accent="#ffd700",
    warning="#ffaf00",
    error="#ff5f5f",
    success="#5fff5f",
    foreground="#ffffff",
    background="#000000",
    surface="#000000",
    panel="#1c1c1c",
    dark=True,
)

"""Line-API drawing with the finished lines cached.

A widget gives its lines (or rich Text, laid out by Rich) when its data changes; styling them
to the widget's width and colours happens once, not on every repaint. Textual asks for every
line of every widget inside the box its dirty regions span, and its own content pipeline took
about 4 ms a redraw per text panel; Rich lays the same text out in a fraction of that.
"""

from __future__ import annotations

import functools

from rich.console import Console
from rich.style import Style
from rich.text import Text
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget


class LineCache(Widget):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._raw: list[Strip] = []
        self._finished: list[Strip] = []
        self._finished_for: tuple[int, Style] | None = None
        self._style = Style()
        self._text_for: int | None = None  # the width the text was laid out for (None: stale)

    def text(self) -> Text | None:
        """Override to draw rich Text instead of giving lines (None: nothing to draw)."""
        return None

    def set_lines(self, lines: list[Strip]) -> None:
        self._raw = lines
        self._finished_for = None
        self.refresh()

    def refresh_text(self) -> None:
        """The text changed: lay it out again at the next repaint."""
        self._text_for = None
        self.refresh()

    def render_lines(self, crop: Region) -> list[Strip]:
        self._style = self.rich_style  # once per repaint, not per line
        width = self.size.width
        if self._text_for != width:
            text = self.text()
            if text is not None:
                self._raw, self._finished_for = text_strips(text, width), None
            self._text_for = width
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width, style = self.size.width, self._style
        if self._finished_for != (width, style):
            self._finished = [
                line.apply_style(style).extend_cell_length(width, style).crop(0, width)
                for line in self._raw
            ]
            self._finished_for = (width, style)
        if y < len(self._finished):
            return self._finished[y]
        return Strip.blank(width, style)


def text_strips(text: Text, width: int, console: Console | None = None) -> list[Strip]:
    """``text`` laid out by Rich into lines of at most ``width`` cells (cut, never wrapped)."""
    console = console or _console(max(1, width))
    options = console.options.update(width=max(1, width), no_wrap=True, overflow="crop")
    lines = console.render_lines(text, options, pad=False, new_lines=False)
    return [Strip(line).crop(0, width) for line in lines]


@functools.lru_cache(maxsize=8)
def _console(width: int) -> Console:
    return Console(width=width, color_system="truecolor", legacy_windows=False, force_terminal=True)

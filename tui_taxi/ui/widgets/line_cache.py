"""Line-API drawing with the finished lines cached: a widget gives its lines when its data
changes; styling them to the widget's width and colours happens once, not on every repaint
(Textual asks for every line of a dirty widget, and computing its style per line was a large
part of a turbo frame)."""

from __future__ import annotations

from rich.style import Style
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

    def set_lines(self, lines: list[Strip]) -> None:
        self._raw = lines
        self._finished_for = None
        self.refresh()

    def render_lines(self, crop: Region) -> list[Strip]:
        self._style = self.rich_style  # once per repaint, not per line
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

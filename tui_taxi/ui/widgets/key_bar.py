"""The bottom line: the essential keys of the current mode, most important first, with help and
quit always shown at the right (every key is in `?` and the command palette)."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from tui_taxi.ui.keys import Key, keys_for

KEY_STYLE = "bold #f2c12e"
PINNED = 90  # keys with a bar priority from here on are always shown, at the right


class KeyBar(Widget):
    DEFAULT_CSS = """
    KeyBar { height: 1; padding: 0 1; background: $panel; }
    """

    def __init__(
        self, mode: str, moves: list[str], hidden: frozenset[str] = frozenset(), **kwargs
    ) -> None:
        super().__init__(**kwargs)
        self.mode = mode
        self.moves = moves
        self.hidden = hidden  # actions this world does not have

    def set_mode(self, mode: str) -> None:
        if mode != self.mode:
            self.mode = mode
            self.refresh()

    def render(self) -> Text:
        keys = keys_for(self.mode, self.moves, self.hidden)
        return key_bar_text(keys, max(10, self.size.width - 2))


def _item(key: Key) -> Text:
    keys, label = key.bar_text or (key.shown, key.label)
    text = Text(keys, style=KEY_STYLE)
    text.append(f" {label}")
    return text


def key_bar_text(keys: list[Key], width: int) -> Text:
    shown = sorted((k for k in keys if k.bar), key=lambda k: k.bar)
    pinned = [_item(k) for k in shown if k.bar >= PINNED]
    pinned_text = Text("  ").join(pinned)
    room = width - pinned_text.cell_len - 2
    left = Text()
    for key in shown:
        if key.bar >= PINNED:
            continue
        item = _item(key)
        if left.cell_len + item.cell_len + 2 > room:
            break
        if left:
            left.append("  ")
        left.append_text(item)
    gap = max(1, width - left.cell_len - pinned_text.cell_len)
    return Text.assemble(left, " " * gap, pinned_text)

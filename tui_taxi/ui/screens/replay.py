"""Scrub a recorded episode step by step: grid, action, reward and Q-values as they were."""

from __future__ import annotations

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from tui_taxi.protocol import Frame, World
from tui_taxi.ui.views import view_for
from tui_taxi.ui.widgets.q_values import values_text


class ReplayScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("right,l", "move(1)", "Next step"),
        Binding("left,h", "move(-1)", "Previous step"),
        Binding("home", "jump(0)", "First"),
        Binding("end", "jump(-1)", "Last"),
        Binding("right_square_bracket", "episode(1)", "Next episode", key_display="]"),
        Binding("left_square_bracket", "episode(-1)", "Previous episode", key_display="["),
        Binding("escape,q", "dismiss", "Close"),
    ]
    DEFAULT_CSS = """
    ReplayScreen { align: center middle; }
    ReplayScreen > Vertical {
        width: 84; height: auto; border: thick $accent; background: $surface; padding: 0 1;
    }
    ReplayScreen #replay-body { height: auto; }
    """

    def __init__(
        self, episodes: list[tuple[Frame, ...]], world: World, title: str, episode: int = -1
    ) -> None:
        super().__init__()
        self.episodes = [e for e in episodes if e]
        self.world = world
        self.title_text = title
        self.episode = episode % len(self.episodes) if self.episodes else 0
        self.index = 0

    @property
    def frame(self) -> Frame | None:
        return self.episodes[self.episode][self.index] if self.episodes else None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(id="replay-body")
            yield Static("[dim]←/→ step · home/end · [ ] episode · escape close[/dim]")

    def on_mount(self) -> None:
        self._draw()

    def action_move(self, delta: int) -> None:
        self.index = (
            min(max(self.index + delta, 0), len(self.episodes[self.episode]) - 1)
            if self.episodes
            else 0
        )
        self._draw()

    def action_jump(self, where: int) -> None:
        if self.episodes:
            self.index = where % len(self.episodes[self.episode])
        self._draw()

    def action_episode(self, delta: int) -> None:
        if self.episodes:
            self.episode = (self.episode + delta) % len(self.episodes)
            self.index = 0
        self._draw()

    def _draw(self) -> None:
        body = self.query_one("#replay-body", Static)
        frame = self.frame
        if frame is None:
            body.update(
                "No episode recorded yet. Replay keeps the episodes taken step by step (n, "
                "the slow speeds, play mode) once they end; fast training is not recorded. "
                "Slow down with [ and let one finish."
            )
            return
        steps = len(self.episodes[self.episode])
        text = Text()
        text.append(
            f"{self.title_text}: episode {self.episode + 1} of {len(self.episodes)}, "
            f"step {self.index + 1} of {steps}\n",
            style="bold",
        )
        record = frame.record
        picture = view_for(self.world).picture
        if picture is not None:
            text.append_text(picture(self.world, record.state))
            text.append("\n")
        who = "you" if frame.human else ("explored" if record.explored else "greedy")
        model = self.world.model
        names = model.action_names_in(record.state) if model else self.world.action_names
        text.append(
            f"{names[record.action]} ({who}), reward {record.reward:+g} "
            f"→ state {record.next_state}\n\n"
        )
        row = np.array(frame.q_row)[: len(names)]  # (a state's legal actions only)
        text.append_text(values_text(row, names, record.state, 60))
        body.update(text)

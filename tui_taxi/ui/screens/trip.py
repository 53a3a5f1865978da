"""A finished trip: the person beside the optimum and the agent, from the same start."""

from __future__ import annotations

import math

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from tui_taxi.core.worlds import penalty_words
from tui_taxi.protocol import BalanceResult, TripResult, World
from tui_taxi.ui.format import mean, percent, plural, signed
from tui_taxi.ui.views import view_for


class TripScreen(ModalScreen[bool]):
    """Dismisses with True when the person asks to watch the agent's run."""

    BINDINGS = [
        Binding("a", "dismiss(True)", "Replay the agent"),
        Binding("escape,enter,space", "dismiss(False)", "Continue"),
    ]
    DEFAULT_CSS = """
    TripScreen { align: center middle; }
    TripScreen > Vertical {
        width: 70; height: auto; border: thick $success; background: $surface; padding: 1 2;
    }
    """

    def __init__(self, trip: TripResult, world: World) -> None:
        super().__init__()
        self.trip = trip
        self.world = world

    def compose(self) -> ComposeResult:
        t = self.trip
        table = Table(box=None, padding=(0, 2))
        table.add_column("")
        table.add_column("steps", justify="right")
        if t.counts_penalties:
            table.add_column(penalty_words(self.world), justify="right")
        table.add_column("return", justify="right")
        if t.stochastic and self._has_goal:
            table.add_column(self.world.success_words, justify="right")
        cut = t.agent.truncated
        rows = (
            ("you", str(t.steps), str(t.penalties), signed(t.episodic_return), _yes(t.delivered)),
            (
                "best possible" if not t.stochastic else "best policy (mean)",
                mean(t.optimal_steps),
                "0",
                signed(t.optimal_return),
                percent(t.optimal_success),
            ),
            (
                "the agent" if not t.stochastic else "the agent (one run)",
                f"{t.agent.steps}+" if cut else str(t.agent.steps),
                str(t.agent_penalties),
                signed(t.agent.episodic_return),
                _yes(t.agent_success),
            ),
        )
        for label, steps, penalties, ret, success in rows:
            cells = [label, steps, *([penalties] if t.counts_penalties else []), ret]
            table.add_row(*cells, *([success] if t.stochastic and self._has_goal else []))
        with Vertical():
            yield Static(self._verdict())
            yield Static(table)
            if t.agent.loops:
                yield Static(
                    f"[b #d64545]The agent loops[/]: from your start its greedy policy "
                    f"goes round in circles (stopped after {plural(t.agent.steps, 'steps')})."
                )
            elif cut:
                yield Static(
                    f"[b #d64545]The agent did not finish[/] within "
                    f"{plural(t.agent.steps, 'steps')} from your start."
                )
            yield Static("[dim]a: replay the agent's run from your start · enter: next trip[/dim]")

    @property
    def _has_goal(self) -> bool:
        """The world has episodes that succeed and others that do not (Example 6.7's chain
        has none: every end is only an end)."""
        model = self.world.model
        return model is None or math.isfinite(model.success_reward)

    def _verdict(self) -> str:
        """The trip in a sentence, against what can be compared: on a deterministic world the
        fewest steps; on a stochastic one, how often the best policy succeeds and how long its
        episodes last on average (a lucky trip may beat that mean, an unlucky one fall short)."""
        t = self.trip
        steps = plural(t.steps, "steps")
        if math.isnan(t.optimal_steps):  # a world too large to score: no best to compare
            how = f"you {self.world.success_words}" if t.delivered else "the trip ended"
            return f"[b]Trip over[/b]: {how} in {steps} (this world is too large to score)"
        on_average = f"{mean(t.optimal_steps)} step{'' if t.optimal_steps == 1 else 's'} on average"
        if t.stochastic and not self._has_goal:  # (Example 6.7's chain: a return, no goal)
            return (
                f"[b]Trip over[/b]: you earned {signed(t.episodic_return)} in {steps}. From your "
                f"start the best policy expects {signed(t.optimal_return)}, in {on_average}."
            )
        if t.stochastic:
            if t.delivered:
                you = f"you {self.world.success_words} in {steps}"
            else:
                where = view_for(self.world).describe(self.world, t.final_state)
                fell = "(hole)" in where
                you = f"you fell into a hole after {steps}" if fell else f"you ended after {steps}"
            return (
                f"[b]Trip over[/b]: {you}. From your start the best policy succeeds "
                f"{percent(t.optimal_success)} of the time, its episodes lasting {on_average}."
            )
        extra = t.steps - t.optimal_steps
        if t.delivered and extra <= 0:
            verdict = "optimal!"
        elif t.delivered:
            verdict = f"{mean(extra)} step{'' if extra == 1 else 's'} more than the best"
        else:
            verdict = f"not {self.world.success_words}"
        return (
            f"[b]Trip over[/b]: you took {steps}; the best possible is "
            f"{mean(t.optimal_steps)} ({verdict})"
        )


def _yes(success: bool) -> str:
    return "yes" if success else "no"


class BalanceScreen(ModalScreen[None]):
    """A finished run on CartPole: how long the person kept the pole up, beside the agent's
    greedy run from the same start."""

    BINDINGS = [Binding("escape,enter,space", "dismiss", "Continue")]
    DEFAULT_CSS = """
    BalanceScreen { align: center middle; }
    BalanceScreen > Vertical {
        width: 64; height: auto; border: thick $success; background: $surface; padding: 1 2;
    }
    """

    def __init__(self, result: BalanceResult) -> None:
        super().__init__()
        self.result = result

    def compose(self) -> ComposeResult:
        r = self.result
        you = "the pole fell" if r.fell else "you reached the time limit!"
        agent = "fell" if r.agent_fell else "reached the time limit"
        table = Table(box=None, padding=(0, 2))
        table.add_column("")
        table.add_column("steps balanced", justify="right")
        table.add_column("", justify="left")
        table.add_row("you", str(r.steps), "fell" if r.fell else "time limit")
        table.add_row("the agent", str(r.agent_steps), agent)
        with Vertical():
            yield Static(
                f"[b]Run over[/b]: {you} after {plural(r.steps, 'steps')} "
                f"({r.steps * 0.02:.2f} s of simulated time)"
            )
            yield Static(table)
            yield Static(
                "[dim]The agent's greedy run starts from your start. enter: next run[/dim]"
            )

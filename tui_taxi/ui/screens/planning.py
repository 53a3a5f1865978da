"""Planning shown live on a grid world: dynamic programming on the world's model, one backup, one
sweep, or sweeps at a pace the room can follow, with each cell's V(s) and greedy arrows, the
sweep counter k, the sweep's change Delta and its trend, the backups done, and the Bellman
backup of the last state in numbers. Each step is microseconds (a 100-state sweep): it runs on
the UI thread, and the trainer's run beside it is untouched."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from tui_taxi.core.envs import CompiledEnv
from tui_taxi.core.planning import Backup, Planner
from tui_taxi.core.planning.dp import _optimality_check
from tui_taxi.ui.widgets.backup_explainer import backup_text
from tui_taxi.ui.widgets.planner_grid import planner_grid_text

#: Sweeps a second when running at a pace the room can follow.
PACE = 2.0
#: A sweep's Delta below this counts as converged (the CLI's default theta).
THETA = 1e-4
#: What m cycles through.
METHODS = (("policy evaluation", False), ("value iteration", True))


class PlanningScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("b", "backup", "One backup"),
        Binding("s", "sweep", "One sweep"),
        Binding("space", "toggle_run", "Run at a pace / pause"),
        Binding("f", "converge", "To convergence, flat out"),
        Binding("i", "improve", "Policy improvement"),
        Binding("m", "method", "Evaluation or value iteration"),
        Binding("p", "in_place", "Synchronous or in-place sweeps"),
        Binding("r", "reset", "Reset V to 0"),
        Binding("escape,q,P", "dismiss", "Close"),
    ]
    DEFAULT_CSS = """
    PlanningScreen { align: center middle; }
    PlanningScreen > Vertical {
        width: auto; max-width: 100%; height: auto; max-height: 100%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    PlanningScreen #plan-head, PlanningScreen #plan-grid, PlanningScreen #plan-backup,
    PlanningScreen #plan-keys { width: auto; height: auto; }
    """

    def __init__(self, model: CompiledEnv, gamma: float, world_name: str) -> None:
        super().__init__()
        self.model, self.gamma, self.world_name = model, gamma, world_name
        self.method = 0
        self.in_place = False
        self.running = False
        self._check = _optimality_check(model, gamma)
        self._reset()

    def _reset(self) -> None:
        greedy = METHODS[self.method][1]
        self.planner = Planner(self.model, self.gamma, in_place=self.in_place, greedy=greedy)
        self.last: Backup | None = None
        self.optimal_since: int | None = None
        self.planner.after_sweep = self._after_sweep

    def _after_sweep(self) -> bool:
        if self._check is not None and self._check(self.planner.q()):
            if self.optimal_since is None:
                self.optimal_since = self.planner.k
        else:
            self.optimal_since = None
        return False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(id="plan-head")
            yield Static(id="plan-grid")
            yield Static(id="plan-backup")
            yield Static(
                "[b]b[/b] one backup  [b]s[/b] one sweep  [b]space[/b] sweep at a pace  "
                "[b]f[/b] to convergence\n[b]i[/b] improve the policy  [b]m[/b] evaluation or "
                "value iteration  [b]p[/b] in place  [b]r[/b] reset  [b]esc[/b] close",
                id="plan-keys",
            )

    def on_mount(self) -> None:
        self._timer = self.set_interval(1 / PACE, self._tick, pause=True)
        self._draw()

    # -- actions ---------------------------------------------------------------------------
    def action_backup(self) -> None:
        self.last = self.planner.backup()
        self._draw()

    def action_sweep(self) -> None:
        self.planner.sweep()
        self.last = None
        self._draw()

    def action_toggle_run(self) -> None:
        self.running = not self.running
        (self._timer.resume if self.running else self._timer.pause)()
        self._draw()

    def _tick(self) -> None:
        self.action_sweep()
        if self.planner.delta < THETA:
            self.running = False
            self._timer.pause()
            self._draw()

    def action_converge(self) -> None:
        self.planner.run(THETA)
        self.last = None
        self._draw()

    def action_improve(self) -> None:
        stable = self.planner.improve()
        self.notify(
            "policy improvement: greedy for V, every tie kept"
            + (" (the policy is stable: it is optimal)" if stable else ""),
            timeout=4,
        )
        self._draw()

    def action_method(self) -> None:
        self.method = (self.method + 1) % len(METHODS)
        self.planner.greedy = METHODS[self.method][1]
        self._draw()

    def action_in_place(self) -> None:
        if self.planner.position:  # finish the sweep under way the way it began
            self.planner.sweep()
        self.in_place = not self.in_place
        self.planner.in_place = self.in_place
        self._draw()

    def action_reset(self) -> None:
        self._reset()
        self._draw()

    # -- drawing ---------------------------------------------------------------------------
    def _head(self) -> Text:
        p = self.planner
        method = METHODS[self.method][0]
        if not p.greedy:
            method += " of π" if p.improvements else " of the random policy"
        text = Text()
        text.append(f"Planning: {method}", style="bold")
        text.append(
            f" · γ {self.gamma:g} · {'in place' if p.in_place else 'synchronous'} sweeps"
            f"{' · running' if self.running else ''}\n",
            style="#8a8a96",
        )
        text.append(f"k {p.k}", style="bold")
        text.append(" · Δ ")
        text.append("—" if not p.deltas else f"{p.delta:.4g}", style="bold")
        trend = ", ".join(f"{d:.3g}" for d in p.deltas[-3:-1])
        if trend:
            text.append(f" (before: {trend})", style="#8a8a96")
        text.append(" · backups ")
        text.append(f"{p.backups:,}", style="bold")
        if self.optimal_since is not None:
            text.append(f"\ngreedy policy optimal since k {self.optimal_since}", style="bold green")
        if p.deltas and p.delta < THETA:
            text.append(
                f"{'' if self.optimal_since is not None else chr(10)} · converged", style="bold"
            )
        return text

    def _draw(self) -> None:
        p = self.planner
        self.query_one("#plan-head", Static).update(self._head())
        last = self.last.state if self.last is not None else None
        grid = planner_grid_text(self.model, p.v, p.greedy_actions(), last, p.position)
        self.query_one("#plan-grid", Static).update(grid)
        width = max(40, min(96, self.app.size.width - 8))
        self.query_one("#plan-backup", Static).update(backup_text(p, self.last, width))

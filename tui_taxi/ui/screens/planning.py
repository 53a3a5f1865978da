"""Planning shown live on a grid world: dynamic programming on the world's model, one backup, one
sweep, or sweeps at a pace the room can follow, with each cell's V(s) and greedy arrows, the
sweep counter k, the sweep's change Delta and its trend, the backups done, and the Bellman
backup of the last state in numbers; beside it the run that learns from samples (its max Q per
cell, the gap to the planner's V, its samples against the planner's backups); and the step's
reward edited live, the values and the policy re-settling. Each step is microseconds (a
100-state sweep): it runs on the UI thread, and the trainer's run behind it is untouched."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from tui_taxi.core.envs import CompiledEnv
from tui_taxi.core.planning import Backup, Planner
from tui_taxi.core.planning.dp import end_states, optimality_check
from tui_taxi.ui.widgets.backup_explainer import backup_text
from tui_taxi.ui.widgets.planner_grid import planner_grid_text

#: Sweeps a second when running at a pace the room can follow.
PACE = 2.0
#: A sweep's Delta below this counts as converged (the CLI's default theta).
THETA = 1e-4
#: What m cycles through.
METHODS = (("policy evaluation", False), ("value iteration", True))
#: What v shows in the grid: the planner's V, the run's max Q, or the gap between them.
VIEWS = ("V (planning)", "max Q (the run)", "|V − max Q|")
#: How much one press of - or + changes the reward of every step.
COST_STEP = 0.1
#: The run beside the planner: (its Q-table or None, its samples so far, its name).
RunValues = Callable[[], tuple[np.ndarray | None, int, str]]


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
        Binding("v", "view", "V, the run's max Q, or the gap"),
        Binding("minus", "cost(-1)", "Every step's reward 0.1 lower"),
        Binding("plus,equals_sign", "cost(1)", "Every step's reward 0.1 higher"),
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

    def __init__(
        self, model: CompiledEnv, gamma: float, world_name: str, run: RunValues | None = None
    ) -> None:
        super().__init__()
        self.original = model
        self.model, self.gamma, self.world_name = model, gamma, world_name
        self.run = run
        self.method = 0
        self.in_place = False
        self.running = False
        self.view = 0
        self.cost = 0.0  # added to every step's reward (edited live)
        self._check = optimality_check(model, gamma)
        self._reset()

    def _reset(self) -> None:
        greedy = METHODS[self.method][1]
        self.planner = Planner(
            self.model, self.gamma, in_place=self.in_place, greedy=greedy, check=self._check
        )
        self.last: Backup | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(id="plan-head")
            yield Static(id="plan-grid")
            yield Static(id="plan-backup")
            yield Static(
                "[b]b[/b] one backup  [b]s[/b] one sweep  [b]space[/b] sweep at a pace  "
                "[b]f[/b] to convergence  [b]i[/b] improve\n[b]m[/b] evaluation/value iteration  "
                "[b]p[/b] in place  [b]r[/b] reset  [b]v[/b] V/max Q/gap  [b]- +[/b] step reward  "
                "[b]esc[/b] close",
                id="plan-keys",
            )

    def on_mount(self) -> None:
        self._timer = self.set_interval(1 / PACE, self._tick, pause=True)
        self.set_interval(1.0, self._follow_run)
        self._draw()

    def _follow_run(self) -> None:
        if self.run is not None and not self.running:  # the run learns on behind the screen
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
        before = self.planner.pi > 0
        stable = self.planner.improve()
        changed = int(np.any(before != (self.planner.pi > 0), axis=1).sum())
        if stable:
            said = "the policy is stable: greedy for its own values, it is optimal"
        else:
            said = (
                f"π is now greedy for V (ties kept): {changed} states changed; s or f evaluates it"
            )
        self.notify(f"policy improvement: {said}", timeout=5)
        self.planner.forget_convergence()
        self._draw()

    def action_method(self) -> None:
        self.method = (self.method + 1) % len(METHODS)
        self.planner.greedy = METHODS[self.method][1]
        self.planner.forget_convergence()
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

    def action_view(self) -> None:
        self.view = (self.view + 1) % (len(VIEWS) if self.run is not None else 1)
        self._draw()

    def action_cost(self, direction: int) -> None:
        """Every step's reward (from a state episodes pass through) moves by 0.1; the planner
        keeps its values, which re-settle from there, judged against the new optimum."""
        self.cost = round(self.cost + direction * COST_STEP, 10)
        m = self.original
        live = (~end_states(m))[:, None, None] & (m.prob > 0)
        reward = np.where(live, m.reward + self.cost, m.reward)
        reward.setflags(write=False)
        self.model = dataclasses.replace(m, reward=reward)
        self.planner.model = self.model
        self._check = self.planner.check = optimality_check(self.model, self.gamma)
        self.planner.forget_convergence()
        self.notify(f"every step's reward {self.cost:+.1f} from the world's own", timeout=3)
        self._draw()

    # -- drawing ---------------------------------------------------------------------------
    def _head(self) -> Text:
        p = self.planner
        method = METHODS[self.method][0]
        if not p.greedy:
            method += " of π" if p.improvements else " of the random policy"
        text = Text()
        text.append(f"Planning: {method}", style="bold")
        cost = f" · step reward {self.cost:+.1f}" if self.cost else ""
        text.append(
            f" · γ {self.gamma:g} · {'in place' if p.in_place else 'synchronous'} sweeps{cost}"
            f"{' · running' if self.running else ''}\n",
            style="#8a8a96",
        )
        text.append(f"k {p.k}", style="bold")
        text.append(" · Δ ")
        text.append("—" if not p.deltas else f"{p.delta:.4g}", style="bold")
        if len(p.deltas) > 1:
            text.append(f" (before: {p.deltas[-2]:.3g})", style="#8a8a96")
        text.append(" · backups ")
        text.append(f"{p.backups:,}", style="bold")
        if p.optimal_since is not None:
            text.append(f" · optimal since k {p.optimal_since}", style="bold green")
        if p.deltas and p.delta < THETA:
            text.append(" · converged", style="bold")
        return text

    def _run_line(self, q: np.ndarray, samples: int, name: str) -> Text:
        """The run beside the planner: its samples against the planner's backups, the mean
        gap between its max Q and V, and from how many starts its greedy policy is optimal."""
        live = ~end_states(self.model)
        best = self.model.masked(q).max(axis=1)
        gap = float(np.abs(self.planner.v - best)[live].mean())
        text = Text()
        text.append(f"\nthe run, {name}: ", style="#8a8a96")
        text.append(f"{samples:,} samples", style="bold")
        text.append(" · mean |V − max Q| ")
        text.append(f"{gap:.2f}", style="bold")
        if self._check is not None and self.cost == 0:
            report = self._check.report(q)
            text.append(f" · optimal {report.n_optimal}/{report.n_start}")
        text.append(f" · grid: {VIEWS[self.view]}", style="bold")
        return text

    def _draw(self) -> None:
        p = self.planner
        head = self._head()
        values, greedy = p.v, p.greedy_actions()
        q, samples, name = self.run() if self.run is not None else (None, 0, "")
        if q is not None and q.shape == greedy.shape:
            head.append_text(self._run_line(q, samples, name))
            if self.view:
                masked = self.model.masked(q)
                best = masked.max(axis=1)
                values = best if self.view == 1 else np.abs(p.v - best)
                greedy = masked == best[:, None]
        self.query_one("#plan-head", Static).update(head)
        last = self.last.state if self.last is not None else None
        grid = planner_grid_text(self.model, values, greedy, last, p.position)
        self.query_one("#plan-grid", Static).update(grid)
        width = max(40, min(96, self.app.size.width - 8))
        self.query_one("#plan-backup", Static).update(backup_text(p, self.last, width))

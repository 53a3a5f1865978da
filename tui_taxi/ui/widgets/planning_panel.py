"""Planning shown live: dynamic programming on a world's model, one backup, one sweep, or sweeps
at a pace the room can follow, with each state's V(s) and greedy actions drawn as the world's
view draws them (a grid world's cells, Taxi's map one passenger and destination at a time,
Jack's policy as Figure 4.2), the sweep counter k, the sweep's change Delta and its trend, the
backups done, and the Bellman backup of the last state in numbers; beside it the run that learns
from samples (its max Q per cell, the gap to the planner's V, its samples against the planner's
backups); and the step's reward edited live, the values and the policy re-settling.

A small world's sweep takes microseconds and runs on the UI thread; a large model's (Jack's:
two million outcomes a sweep) runs to convergence on a worker thread, the panel saying so. The
planning screen (P) and a tour's planning slides show this one panel; a tour's figures are read
from it (:meth:`PlanningPanel.figures`), written as it writes them."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from tui_taxi.core.envs import CompiledEnv
from tui_taxi.core.planning import Backup, Planner
from tui_taxi.core.planning.dp import end_states, optimality_check, reachable_states
from tui_taxi.demo import PlanOutcome, PlanStart, PlanStep, improve_counted, play_plan
from tui_taxi.ui.views import PlanView
from tui_taxi.ui.widgets.backup_explainer import backup_text

#: Sweeps a second when running at a pace the room can follow.
PACE = 2.0
#: A sweep's Delta below this counts as converged (the CLI's default theta).
THETA = 1e-4
#: What m cycles through.
METHODS = (("policy evaluation", False), ("value iteration", True))
#: What v shows in the grid: the planner's V, the run's max Q, or the gap between them.
VIEWS = ("V", "its max Q", "|V − max Q|")
#: How much one press of - or + changes the reward of every step.
COST_STEP = 0.1
#: Outcomes in a model (states x actions x successors) above which running to convergence
#: goes to a worker thread (Jack's: 2.1 million, half a second to converge).
LARGE_MODEL = 200_000
#: Tour slides' planners kept, to go back and forth without planning again.
REPLAYS_KEPT = 16
#: The run beside the planner: (its Q-table or None, its samples so far, its name).
RunValues = Callable[[], tuple[np.ndarray | None, int, str]]
DIM = "#8a8a96"
KEYS = (
    "[b]b[/b] one backup  [b]s[/b] one sweep  [b]space[/b] sweep at a pace  "
    "[b]f[/b] to convergence  [b]i[/b] improve\n[b]m[/b] evaluation/value iteration  "
    "[b]p[/b] in place  [b]r[/b] reset  [b]v[/b] V/max Q/gap  [b]- +[/b] step reward  "
    "[b]esc[/b] close"
)


class PlanningPanel(Vertical):
    DEFAULT_CSS = """
    PlanningPanel { width: auto; height: auto; max-width: 100%; }
    PlanningPanel > Static { width: auto; height: auto; }
    """

    def __init__(self, *, keys: bool = True, reserve: int = 9, **kwargs) -> None:
        super().__init__(**kwargs)
        self.show_keys = keys
        self.reserve = reserve  # rows the screen keeps for itself (borders, a caption, keys)
        self.run: RunValues | None = None
        self.planner: Planner | None = None
        self.busy = False  # a worker is sweeping (the planner is not to be read)
        self._generation = 0
        self.running = False
        self.last: Backup | None = None
        self.changed: int | None = None  # states the last improvement changed
        self.start_name = ""  # the policy evaluated first, if not the random one
        self.drawn: Callable[[], None] | None = None  # told after each drawing (a caption)
        self._replayed: dict = {}  # a tour's (start, steps) -> (the planner, its outcome)

    def compose(self) -> ComposeResult:
        yield Static(id="plan-head")
        yield Static(id="plan-grid")
        yield Static(id="plan-backup")
        if self.show_keys:
            yield Static(KEYS, id="plan-keys")

    def on_mount(self) -> None:
        self._timer = self.set_interval(1 / PACE, self._tick, pause=True)
        self.set_interval(1.0, self._follow_run)

    # -- a world to plan on ----------------------------------------------------------------
    def open(
        self,
        model: CompiledEnv,
        gamma: float,
        world_name: str,
        view: PlanView,
        run: RunValues | None = None,
    ) -> None:
        """Plan on ``model`` from scratch: evaluation of the random policy, synchronous."""
        self._load(model, gamma, world_name, view, run)
        self._fresh()
        self.draw()

    def _load(self, model, gamma, world_name, view, run, method=0, in_place=False) -> None:
        self.original = self.model = model
        self.gamma, self.world_name, self.view_of, self.run = gamma, world_name, view, run
        self.method, self.in_place, self.view, self.cost, self.part = method, in_place, 0, 0.0, 0
        self._check = optimality_check(model, gamma)
        self._live = reachable_states(model) & ~end_states(model)

    def _fresh(self) -> None:
        self.planner = Planner(
            self.model,
            self.gamma,
            in_place=self.in_place,
            greedy=METHODS[self.method][1],
            check=self._check,
        )
        self.last, self.changed, self.start_name = None, None, ""
        # the policy evaluated: pi_0, then one more each improvement that changes it
        self.policy = 0
        self.running = False
        if self.is_mounted:
            self._timer.pause()

    def replay(
        self,
        model: CompiledEnv,
        view: PlanView,
        start: PlanStart,
        steps: Sequence[PlanStep],
        run: RunValues | None = None,
    ) -> None:
        """A tour's slide: a fresh planner as ``start`` says (value iteration, or evaluation of
        the random policy or of one that always takes an action), then ``steps``, on a worker
        thread when the model is large; the panel draws when done."""
        self._generation += 1
        generation = self._generation
        self._load(model, start.gamma, start.env_id, view, run, int(start.greedy), start.in_place)
        self._fresh()
        if start.start is not None:
            self.planner.follow(start.start)
            self.start_name = model.action_names[start.start]
        grids = [s.count for s in steps if s.verb == "grid"]
        self.view = grids[-1] if grids else 0
        parts = [s.count for s in steps if s.verb == "slice"]
        self.part = parts[-1] % view.parts if parts else 0
        # the slides before this one's (back and forth: Jack's policy iteration takes seconds)
        steps = tuple(steps)
        done, since = 0, None
        for n in range(len(steps), 0, -1):
            if (start, steps[:n]) in self._replayed:
                done = n
                kept, since = self._replayed[(start, steps[:n])]
                self.planner = kept.copy()
                break
        planner = self.planner

        def work() -> PlanOutcome:
            return play_plan(planner, steps[done:], THETA, since)

        def finish(result: PlanOutcome) -> None:
            self._replayed[(start, steps)] = (planner.copy(), result)
            while len(self._replayed) > REPLAYS_KEPT:
                del self._replayed[next(iter(self._replayed))]
            if generation == self._generation:  # (not a slide left since)
                self.planner = planner
                self.last, self.changed, self.policy = result.last, result.changed, result.policy
                self.busy = False
                self.draw()

        self._in_background(work, finish)

    def _in_background(self, work: Callable, finish: Callable) -> None:
        """``work`` then ``finish`` (its result) on the UI thread: at once for a small model,
        else on a worker thread, the panel saying it is planning meanwhile."""
        if self.model.prob.size < LARGE_MODEL or not self.is_mounted:
            finish(work())
            return
        self.busy = True
        self.draw()

        def thread() -> None:
            result = work()
            self.app.call_from_thread(finish, result)

        self.run_worker(thread, thread=True, group="planning", exit_on_error=False)

    # -- actions (the planning screen's keys) ----------------------------------------------
    def refuse_busy(self) -> bool:
        if self.busy:
            self.notify("still planning: a moment", timeout=2)
        return self.busy

    def backup(self) -> None:
        if self.refuse_busy():
            return
        self.last = self.planner.backup()
        self.draw()

    def sweep(self) -> None:
        if self.refuse_busy():
            return
        self.planner.sweep()
        self.last = None
        self.draw()

    def toggle_run(self) -> None:
        if self.refuse_busy():
            return
        self.running = not self.running
        (self._timer.resume if self.running else self._timer.pause)()
        self.draw()

    def _tick(self) -> None:
        if self.busy or self.planner is None:
            return
        self.sweep()
        if self.planner.delta < THETA:
            self.running = False
            self._timer.pause()
            self.draw()

    def converge(self) -> None:
        if self.refuse_busy():
            return
        self.last = None
        generation = self._generation

        def finish(_) -> None:
            if generation == self._generation:
                self.busy = False
                self.draw()

        self._in_background(lambda: self.planner.run(THETA), finish)

    def improve(self) -> None:
        if self.refuse_busy():
            return
        stable, self.changed = improve_counted(self.planner)
        self.policy += not stable
        if stable:
            said = "the policy is stable: greedy for its own values, it is optimal"
        else:
            said = (
                f"π is now greedy for V (ties kept): {self.changed} states changed; "
                "s or f evaluates it"
            )
        self.notify(f"policy improvement: {said}", timeout=5)
        self.draw()

    def next_method(self) -> None:
        if self.refuse_busy():
            return
        self.method = (self.method + 1) % len(METHODS)
        self.planner.greedy = METHODS[self.method][1]
        self.planner.forget_convergence()
        self.draw()

    def toggle_in_place(self) -> None:
        if self.refuse_busy():
            return
        if self.planner.position:  # finish the sweep under way the way it began
            self.planner.sweep()
        self.in_place = not self.in_place
        self.planner.in_place = self.in_place
        self.draw()

    def reset(self) -> None:
        if self.refuse_busy():
            return
        self._generation += 1
        self._fresh()
        self.draw()

    def next_view(self) -> None:
        self.view = (self.view + 1) % (len(VIEWS) if self.run is not None else 1)
        self.draw()

    def next_part(self) -> None:
        """The next slice of a world drawn a slice at a time (Taxi's passenger and destination)."""
        if self.view_of.parts == 1:
            self.notify(f"{self.world_name} is drawn whole: no other slice", timeout=3)
            return
        self.part = (self.part + 1) % self.view_of.parts
        self.draw()

    def change_cost(self, direction: int) -> None:
        """Every step's reward (from a state episodes pass through) moves by 0.1; the planner
        keeps its values, which re-settle from there, judged against the new optimum."""
        if self.refuse_busy():
            return
        self.cost = round(self.cost + direction * COST_STEP, 10)
        m = self.original
        live = (~end_states(m))[:, None, None] & (m.prob > 0)
        reward = np.where(live, m.reward + self.cost, m.reward)
        reward.setflags(write=False)
        self.model = dataclasses.replace(m, reward=reward)
        self.planner.model = self.model
        self._check = self.planner.check = optimality_check(self.model, self.gamma)
        self.planner.forget_convergence()
        self.notify(f"every step's reward shifted {self.cost:+.1f} from the world's own", timeout=3)
        self.draw()

    # -- what it shows ---------------------------------------------------------------------
    def _follow_run(self) -> None:
        if self.run is not None and not self.running and self.planner is not None and self.display:
            self.draw()  # the run learns on behind the panel (not while a tour hides it)

    def _run_values(self) -> tuple[np.ndarray | None, int, str]:
        q, samples, name = self.run() if self.run is not None else (None, 0, "")
        if q is None or not samples or q.shape != (self.model.n_states, self.model.n_actions):
            return None, 0, ""  # (no run beside the planner: none, not started, another world)
        return q, samples, name

    def figures(self) -> dict[str, str]:
        """The figures a tour's caption may state, each as this panel writes it (none while
        it plans on a worker)."""
        p = self.planner
        if p is None or self.busy:
            return {}
        figures = {"k": f"{p.k}", "backups": f"{p.backups:,}", "policy": f"π{self.policy}"}
        if p.deltas:
            figures["delta"] = f"{p.delta:.4g}"
        if p.optimal_since is not None:
            figures["optimal_k"] = f"{p.optimal_since}"
            if p.optimal_at is not None and p.optimal_at[0] == p.optimal_since:
                figures["optimal_backups"] = f"{p.optimal_at[1]:,}"
        if self.changed is not None:
            figures["changed"] = f"{self.changed:,}"
        figures["v_min"], figures["v_max"] = f"{p.v.min():.2f}", f"{p.v.max():.2f}"
        q, samples, _ = self._run_values()
        if q is not None:
            figures["samples"] = f"{samples:,}"
            gaps = self._gaps(q)
            figures["gap"], figures["gap_max"] = f"{gaps.mean():.2f}", f"{gaps.max():.2f}"
            if self._check is not None and self.cost == 0:
                report = self._check.report(q)
                figures["run_optimal"] = f"{report.n_optimal}/{report.n_start}"
        return figures

    def _gaps(self, q: np.ndarray) -> np.ndarray:
        """|V − max Q| over the states an episode can be in (a state none reaches keeps its
        initial Q whatever the run learns)."""
        best = self.model.masked(q).max(axis=1)
        return np.abs(self.planner.v - best)[self._live]

    def _head(self, figures: dict[str, str]) -> Text:
        p = self.planner
        method = METHODS[self.method][0]
        if self.busy:
            text = Text(f"Planning: {method} · γ {self.gamma:g}\n", style="bold")
            text.append("⏳ planning… (a large model: a worker thread sweeps it)", style="bold")
            return text
        if not p.greedy:
            if p.improvements:
                method += f" of {figures['policy']}"
                if self.changed == 0:
                    method += ", stable (greedy for its own values)"
                elif self.changed is not None:
                    method += f" ({figures['changed']} states changed)"
            elif self.start_name:
                method += f" of {figures['policy']}, always {self.start_name}"
            else:
                method += " of the random policy"
        text = Text()
        text.append(f"Planning: {method}", style="bold")
        cost = f" · every reward shifted {self.cost:+.1f} a step" if self.cost else ""
        text.append(
            f" · γ {self.gamma:g} · {'in place' if p.in_place else 'synchronous'} sweeps{cost}"
            f"{' · running' if self.running else ''}\n",
            style=DIM,
        )
        text.append(f"k {figures['k']}", style="bold")
        text.append(" · Δ ")
        text.append(figures.get("delta", "—"), style="bold")
        if len(p.deltas) > 1 and self.app.size.width >= 110:  # (its trend, where it fits)
            text.append(f" (before: {p.deltas[-2]:.3g})", style=DIM)
        text.append(" · backups ")
        text.append(figures["backups"], style="bold")
        if "optimal_k" in figures:
            text.append(f" · optimal since k {figures['optimal_k']}", style="bold green")
            if "optimal_backups" in figures:
                text.append(f" ({figures['optimal_backups']} backups)", style="green")
        if p.deltas and p.delta < THETA:
            text.append(" · converged", style="bold")
        if self.view_of.parts > 1:
            text.append(f"\n{self.view_of.part_name(self.part)}", style=DIM)
            text.append("  x: another" if self.show_keys else "", style=DIM)
        return text

    def _run_line(self, figures: dict[str, str], name: str) -> Text:
        """The run beside the planner: its samples against the planner's backups, the mean
        gap between its max Q and V, and from how many starts its greedy policy is optimal."""
        text = Text()
        text.append(f"\nthe run, {name}: ", style=DIM)
        text.append(f"{figures['samples']} samples", style="bold")
        text.append(" · mean |V − max Q| ")
        text.append(figures["gap"], style="bold")
        if "run_optimal" in figures:
            text.append(f" · optimal {figures['run_optimal']}")
        text.append(f" · grid: {VIEWS[self.view]}", style="bold")
        return text

    def draw(self) -> None:
        p = self.planner
        if p is None or not self.is_mounted:
            return
        figures = self.figures()
        head = self._head(figures)
        if self.busy:  # (the values are being made: the last drawing would mislead)
            self.query_one("#plan-head", Static).update(head)
            self.query_one("#plan-grid", Static).update("")
            self.query_one("#plan-backup", Static).display = False
            if self.drawn is not None:
                self.drawn()
            return
        values, greedy = p.v, p.greedy_actions()
        shows = "greedy for V"
        if self.view_of.policy_map and not p.greedy and (p.improvements or self.start_name):
            greedy, shows = p.pi > 0, f"{figures['policy']}, the policy evaluated"  # (Fig. 4.2)
        q, _, name = self._run_values()
        if q is not None:
            head.append_text(self._run_line(figures, name))
            if self.view:
                masked = self.model.masked(q)
                best = masked.max(axis=1)
                values = best if self.view == 1 else np.abs(p.v - best)
                greedy = masked == best[:, None]
                shows = "the run's greedy policy"
        self.query_one("#plan-head", Static).update(head)
        width = max(40, min(96, self.app.size.width - 8))
        if self.last is None and not self.show_keys:
            backup = Text()  # (a tour's slide: no key to press for one)
        else:
            where = self.view_of.describe(self.last.state) if self.last is not None else ""
            backup = backup_text(p, self.last, width, where)
        self.query_one("#plan-backup", Static).update(backup)
        self.query_one("#plan-backup", Static).display = bool(backup.plain)
        lines = head.plain.count("\n") + 1 + (backup.plain.count("\n") + 1 if backup.plain else 0)
        rows = self.app.size.height - self.reserve - lines - self.view_of.policy_map
        last = self.last.state if self.last is not None else None
        grid = self.view_of.draw(self.model, values, greedy, last, p.following, self.part, rows)
        if self.view_of.policy_map:  # (a map of moves: no numbers of its own)
            above = f"V(s) from {figures['v_min']} to {figures['v_max']} · the map: {shows}\n"
            grid = Text.assemble((above, DIM), grid)
        self.query_one("#plan-grid", Static).update(grid)
        if self.drawn is not None:
            self.drawn()

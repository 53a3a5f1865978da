"""The last TD update with its real numbers, as a teacher writes it on the board."""

from __future__ import annotations

from rich.text import Text

from tui_taxi.core.envs import TAXI_IN_TAXI, TAXI_PADS, taxi_decode
from tui_taxi.core.session import StepRecord
from tui_taxi.trainer import Snapshot
from tui_taxi.ui.widgets.snapshot_view import SnapshotView

#: What each learner bootstraps on, as written in the explainer.
BOOTSTRAP = {
    "q-learning": "max Q(s',·)",
    "sarsa": "Q(s',a')",
    "expected-sarsa": "E_π Q(s',·)",
    "double-q": "Q_B(s',argmax Q_A)",
}
DIM = "#8a8a96"


class TDExplainer(SnapshotView):
    DEFAULT_CSS = """
    TDExplainer { height: 11; }
    """

    def render(self) -> Text:
        snap = self.snapshot
        if snap is None or snap.last_step is None:
            return Text("TD update: take a step (n) to see one", style=DIM)
        return explain(snap.last_step, snap)


def _state_text(state: int, snap: Snapshot) -> str:
    if not snap.is_taxi:
        return f"s {state}"
    row, col, passenger, dest = taxi_decode(state)
    where = "in taxi" if passenger == TAXI_IN_TAXI else TAXI_PADS[passenger]
    return f"s {state}: taxi {row},{col} · pass {where} → {TAXI_PADS[dest]}"


def explain(r: StepRecord, snap: Snapshot) -> Text:
    learner = snap.config.learner
    if snap.human_step:
        how = "your move" + ("" if snap.learn_from_human else ", not learned")
    else:
        how = "explored" if r.explored else "greedy"
    text = Text()
    text.append("TD update ", style="bold")
    text.append(f"({learner}) · {how}\n", style=DIM)
    text.append(_state_text(r.state, snap) + "\n")
    text.append(f"a {snap.action_names[r.action]}  r {r.reward:+g}  s' {r.next_state}\n")
    if snap.human_step and not snap.learn_from_human:
        text.append("Q is unchanged: press L to learn from\nyour moves", style=DIM)
        return text
    label = "terminal: no bootstrap" if r.terminated else BOOTSTRAP.get(learner, "bootstrap")
    if learner == "double-q" and not r.terminated and r.table == 1:
        label = "Q_A(s',argmax Q_B)"
    rows = [
        ("Q(s,a)", r.q_old, None),
        (label, r.bootstrap, None),
        ("target r+γ·boot", r.td_target, f"{r.reward:+g} + {r.gamma:.2f} × {r.bootstrap:.3f}"),
        ("δ = target−Q", r.td_error, None),
        ("Q ← Q + α·δ", r.q_new, f"{r.q_old:.3f} + {r.alpha:.2f} × {r.td_error:.3f}"),
    ]
    for name, value, working in rows:
        text.append(f"{name:<19}", style=DIM)
        text.append(f"{value:>9.3f}\n", style="bold")
        if working:
            text.append(f"  = {working}\n", style=DIM)
    text.rstrip()
    return text

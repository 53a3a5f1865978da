"""The last TD update with its real numbers, as a teacher writes it on the board."""

from __future__ import annotations

from rich.text import Text

from tui_taxi.core.session import StepRecord
from tui_taxi.protocol import Snapshot
from tui_taxi.ui.views import view_for
from tui_taxi.ui.widgets.snapshot_view import SnapshotView

#: What each learner bootstraps on, as written in the explainer.
BOOTSTRAP = {
    "q-learning": "max Q(s',·)",
    "sarsa": "Q(s',a')",
    "expected-sarsa": "E_π Q(s',·)",
    "double-q": "Q_B(s',argmax Q_A)",
}
NAMES = {
    "q-learning": "Q-learning",
    "sarsa": "SARSA",
    "expected-sarsa": "Exp. SARSA",
    "double-q": "Double Q",
}
DIM = "#8a8a96"
LABEL = 18


class TDExplainer(SnapshotView):
    DEFAULT_CSS = """
    TDExplainer { height: 11; }
    """

    def text(self) -> Text:
        snap = self.snapshot
        if snap is None:
            return Text("")
        if snap.last_step is None or (snap.manual and snap.trip_steps == 0):
            hint = "your move: the arrow keys" if snap.manual else "take a step (n)"
            return Text(f"TD update: {hint} to see one", style=DIM)
        if snap.network is not None:
            return explain_dqn(snap.last_step, snap)
        return explain(snap.last_step, snap)


def explain(r: StepRecord, snap: Snapshot) -> Text:
    """At most 11 lines of at most 32 characters (the left column's width)."""
    learner = snap.config.learner
    how = "your move" if snap.human_step else "explored" if r.explored else "greedy"
    text = Text()
    text.append(f"{NAMES.get(learner, learner)} update", style="bold")
    text.append(f" · {how}\n", style=DIM)
    text.append(f"s {r.state} · {view_for(snap.world).describe(snap.world, r.state)}\n")
    action = snap.action_names[r.action]
    text.append(f"a {action}  r {r.reward:+g}  s' {r.next_state}\n")
    if snap.human_step and not snap.learn_from_human:
        text.append("Q unchanged: your moves do not\nteach the agent (L toggles)", style=DIM)
        return text
    label = "end: no bootstrap" if r.terminated else BOOTSTRAP.get(learner, "bootstrap")
    if learner == "double-q" and not r.terminated and r.table == 1:
        label = "Q_A(s',argmax Q_B)"
    rows = [
        ("Q(s,a)", r.q_old, None),
        (label, r.bootstrap, None),
        ("target r+γ·boot", r.td_target, f"{r.reward:+g} + {r.gamma:.2f} × {r.bootstrap:.3f}"),
        ("δ = target − Q", r.td_error, None),
        ("Q ← Q + α·δ", r.q_new, f"{r.q_old:.3f} + {r.alpha:.2f} × {r.td_error:.3f}"),
    ]
    for name, value, working in rows:
        text.append(f"{name:<{LABEL}}", style=DIM)
        text.append(f"{value:>9.3f}\n", style="bold")
        if working:
            text.append(f"  = {working}\n", style=DIM)
    text.rstrip()
    return text


def explain_dqn(r, snap: Snapshot) -> Text:
    """The network's TD update on the board: the first transition of the last minibatch drawn
    from the replay buffer, its prediction by the online network, its bootstrap by the target
    network (none past a termination), the target, the error and the Huber loss. At most 11
    lines of at most 32 characters."""
    c, net = snap.config, snap.network
    how = "your move" if snap.human_step else "explored" if r.explored else "greedy"
    text = Text()
    text.append("DQN", style="bold")
    text.append(f" · step {how}: {snap.action_names[r.action]} r {r.reward:+g}\n", style=DIM)
    if snap.human_step and not snap.learn_from_human:
        text.append("no update: your moves do not\nteach the agent (L toggles)", style=DIM)
        return text
    if net.updates == 0:
        text.append(f"replay buffer {net.buffer_fill:,} of {c.buffer_size:,}\n")
        text.append(f"learning starts after step\n{c.learning_starts:,}: no update yet", style=DIM)
        return text
    text.append("this step's update" if r.updated else "last update", style="bold")
    text.append(f" · 1 of {c.batch_size} replayed\n", style=DIM)
    if r.sample_terminated:
        label = "end: no bootstrap"
    else:
        label = "Q⁻(s',argmax Q)" if c.double else "max Q⁻(s',·)"
    rows = [
        ("Q(s,a) online", r.q_pred, None),
        (label, r.bootstrap, None),
        (
            "target r+γ·boot",
            r.td_target,
            f"{r.sample_reward:+g} + {r.gamma:.2f} × {r.bootstrap:.3f}",
        ),
        ("δ = target − Q", r.td_error, None),
        ("Huber loss", r.loss, None),
    ]
    for name, value, working in rows:
        text.append(f"{name:<{LABEL}}", style=DIM)
        text.append(f"{value:>9.3f}\n", style="bold")
        if working:
            text.append(f"  = {working}\n", style=DIM)
    text.append(f"θ ← Adam, lr {r.learning_rate:.2g}; Q⁻: target", style=DIM)
    return text

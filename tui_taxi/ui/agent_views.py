"""The panels of an agent's own, per kind: the TD explainer's board, the statistics' rows and
the status line's segment that only its kind has (a network's replay buffer and target network).
A kind without views of its own gets the generic ones: a new kind of agent runs in the app with
no edit here, and adds an entry to :data:`REGISTRY` to explain itself."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from rich.text import Text

from tui_taxi.core.tabular.kernel import LEARNERS
from tui_taxi.protocol import Snapshot
from tui_taxi.ui.format import count, plural
from tui_taxi.ui.views import view_for

DIM = "#8a8a96"
GOOD, WARN, BAD = "#3aa655", "#e3b505", "#d64545"
LABEL = 18

Rows = list[tuple[str, "str | Text"]]


@dataclass(frozen=True)
class AgentView:
    explain: Callable[[Snapshot], Text]  # the last update on the board (at most 11 x 32)
    stats_rows: Callable[[Snapshot], Rows]  # rows of its own in the statistics panel
    status: Callable[[Snapshot], Text | None]  # a status-line segment of its own
    guide: str = (  # how to read its panels, for the help screen
        "[b]Status line[/b]: running or paused, the speed, the agent's settings, the episode "
        "and its step.\n[b]Explainer[/b]: the last step, its action and reward."
    )


def agent_view(kind: str) -> AgentView:
    return REGISTRY.get(kind, GENERIC)


def _how(r, snap: Snapshot) -> str:
    return "your move" if snap.human_step else "explored" if r.explored else "greedy"


# -- any kind ----------------------------------------------------------------------------------
def explain_step(snap: Snapshot) -> Text:
    """The last step, for a kind that explains nothing more."""
    r = snap.last_step
    text = Text()
    text.append(snap.variant, style="bold")
    text.append(f" · {_how(r, snap)}\n", style=DIM)
    text.append(f"a {snap.action_name(r.state, r.action)}  r {r.reward:+g}\n")
    return text


GENERIC = AgentView(explain_step, lambda snap: [], lambda snap: None)


# -- a Q-table -------------------------------------------------------------------------------
#: What each learner bootstraps on, as written in the explainer.
BOOTSTRAP = {
    "q-learning": "max Q(s',·)",
    "sarsa": "Q(s',a')",
    "expected-sarsa": "E_π Q(s',·)",
    "double-q": "Q_B(s',argmax Q_A)",
    "dyna-q": "max Q(s',·)",
    "prioritized-sweeping": "max Q(s',·)",
}
NAMES = {
    "q-learning": "Q-learning",
    "sarsa": "SARSA",
    "expected-sarsa": "Exp. SARSA",
    "double-q": "Double Q",
    "dyna-q": "Dyna-Q",
    "prioritized-sweeping": "Sweeping",
}


def explain_table(snap: Snapshot) -> Text:
    """The TD update of a Q-table: at most 11 lines of at most 32 characters (the left
    column's width)."""
    r = snap.last_step
    # the learner that took this step (l may have changed it since)
    learner = LEARNERS[r.learner] if 0 <= r.learner < len(LEARNERS) else snap.config.learner
    how = _how(r, snap)
    text = Text()
    text.append(f"{NAMES.get(learner, learner)} update", style="bold")
    text.append(f" · {how}\n", style=DIM)
    text.append(f"s {r.state} · {view_for(snap.world).describe(snap.world, r.state)}\n")
    action = snap.action_name(r.state, r.action)
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
    if learner == "prioritized-sweeping":  # Q(s,a) moves only when its turn in the queue comes
        rows[-1] = ("Q(s,a) after sweep", r.q_new, f"queued by |δ|; {r.planned} updates")
    for name, value, working in rows:
        text.append(f"{name:<{LABEL}}", style=DIM)
        text.append(f"{value:>9.3f}\n", style="bold")
        if working:
            text.append(f"  = {working}\n", style=DIM)
    if learner == "dyna-q":
        text.append(f"then {r.planned} updates from the model", style=DIM)
    text.rstrip()
    return text


# -- a Q-network -----------------------------------------------------------------------------
def explain_network(snap: Snapshot) -> Text:
    """The network's TD update on the board: the first transition of the last minibatch drawn
    from the replay buffer, its prediction by the online network, its bootstrap by the target
    network (none past a termination), the target, the error and the Huber loss. At most 11
    lines of at most 32 characters."""
    r = snap.last_step
    c, net = snap.config, snap.details
    how = _how(r, snap)
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
    text.append("update" if r.updated else "last update", style="bold")
    if r.updated:
        text.append(f" · 1 of {c.batch_size} replayed\n", style=DIM)
    else:  # the numbers below wait for the next training round: say when it comes
        every = max(1, c.train_frequency)
        next_round = max(snap.total_steps // every + 1, c.learning_starts // every + 1) * every
        text.append(f" · next at step {count(next_round)}\n", style=DIM)
    steps = r.sample_steps if r.sample_steps > 0 else 1
    n_step = getattr(c, "n_step", 1) > 1
    after = "'" if not n_step else str(steps).translate(SUBSCRIPTS)  # s' or s₃: where it boots
    if r.sample_terminated:
        label = "end: no bootstrap"
    else:
        label = f"Q⁻(s{after},argmax Q)" if c.double else f"max Q⁻(s{after},·)"
    rows = [("Q(s,a) online", r.q_pred, None), (label, r.bootstrap, None)]
    if n_step:  # the discounted sum of the sample's rewards, then the bootstrap's gamma^steps
        discounted = sum(reward * r.gamma**k for k, reward in enumerate(r.sample_rewards))
        working = f"{discounted:.3f} + {r.sample_discount:.3f} × {r.bootstrap:.3f}"
        rows.append(("target Σγᵏr+γⁿboot", r.td_target, working))
    else:
        working = f"{r.sample_reward:+g} + {r.gamma:.2f} × {r.bootstrap:.3f}"
        rows.append(("target r+γ·boot", r.td_target, working))
    rows += [("δ = target − Q", r.td_error, None), ("Huber loss", r.loss, None)]
    lines = 2
    for name, value, working in rows:
        text.append(f"{name:<{LABEL}}", style=DIM)
        text.append(f"{value:>9.3f}\n", style="bold")
        lines += 1
        if working:
            text.append(f"  = {working}\n", style=DIM)
            lines += 1
        if working and n_step:  # the rewards it sums ("3-step": the run's n, a tour's figure)
            label = f"  {c.n_step}-step r "
            text.append(label, style=DIM)
            text.append(_rewards(r.sample_rewards, 32 - len(label)) + "\n", style="bold")
            lines += 1
    if getattr(c, "prioritized", False):  # the chance it was drawn, its weight, its priority
        text.append("P ", style=DIM)
        text.append(f"{r.sample_probability * 100:.2g}%", style="bold")
        text.append(" · IS w ", style=DIM)
        text.append(f"{r.sample_weight:.3f}", style="bold")
        text.append(f" · p {r.sample_priority:.3g}\n", style=DIM)
        lines += 1
    if getattr(c, "dueling", False):  # the head's two streams, from the Q-values on screen
        q = snap.q_row
        value = float(q.mean())  # mean over a of Q = V + A - mean A: V itself
        advantages = q - value
        text.append(f"V(s) {value:.2f}, A(s,·) ", style=DIM)
        if len(q) <= 3:  # (what fits in the panel's 32 columns)
            shown = " ".join(f"{a:+.2f}" for a in advantages)
        else:
            shown = f"{advantages.min():+.2f}..{advantages.max():+.2f}"
        text.append(shown + "\n", style="bold")
        lines += 1
    if lines < 11:  # (the panel's height: the optimizer's line goes first)
        text.append(f"θ ← Adam, lr {r.learning_rate:.2g}; Q⁻: target", style=DIM)
    text.rstrip()
    return text


SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _rewards(rewards: tuple[float, ...], width: int) -> str:
    """An n-step sample's rewards, first to last, in ``width`` characters (the middle ones
    elided as "…" when they do not fit)."""
    shown = [f"{x:+g}" for x in rewards]
    text = " ".join(shown)
    head = len(shown)
    while len(text) > width and head > 1:
        head -= 1
        text = " ".join(shown[: head - 1]) + f" … {shown[-1]}" + f" ({len(shown)})"
    return text


def network_rows(snap: Snapshot) -> Rows:
    """The replay buffer's fill, the target network's updates and the recent loss, then the
    live greedy check (a world scored against its optimum has that in rows of its own: the
    network's rows there are one line)."""
    c, net = snap.config, snap.details
    fill = net.buffer_fill / c.buffer_size
    if snap.model is not None and snap.report is not None:  # (the optimality rows follow)
        if snap.q_star is not None and snap.q.shape == snap.q_star.shape:
            error = np.abs(snap.q - snap.q_star)
            return [("|Q−Q*|", f"mean {error.mean():.2f} · max {error.max():.1f}")]
        loss = "" if math.isnan(net.recent_loss) else f" · loss {net.recent_loss:.3f}"
        return [("network", f"{fill:.0%} full · ×{count(net.target_syncs)}{loss}")]
    rows: Rows = [("buffer", f"{count(net.buffer_fill)} ({fill:.0%} full)")]
    if net.last_sync_step < 0:
        synced = Text(f"not yet (from step {c.learning_starts:,})", style=DIM)
    else:
        ago = snap.total_steps - net.last_sync_step
        synced = f"×{count(net.target_syncs)}, {plural(ago, 'steps')} ago"
    check = snap.check
    if check is not None and check.q_bound is not None and check.steps >= 0:
        # a row for the bound instead of the target's: its copies are on the status line
        over = check.q_max > check.q_bound
        synced = Text.assemble(
            (f"{check.q_max:.1f}", f"bold {BAD if over else GOOD}"),
            (f" (bound {check.q_bound:.0f})", DIM),
        )
        rows.append(("max |Q|", synced))
    else:
        rows.append(("target", synced))
    rows.append(
        (
            "loss",
            Text("—", style=DIM)
            if math.isnan(net.recent_loss)
            else f"{net.recent_loss:.4f} (recent)",
        )
    )
    return rows + check_rows(snap.check)


def check_rows(check) -> Rows:
    """The greedy check against a reward threshold: its last figure, when it was solved, the
    best so far (what B brings back)."""
    if check is None or check.threshold is None:
        return []
    if check.steps < 0:
        return [("greedy", Text(f"every {check.every:,} steps", style=DIM))]
    colour = GOOD if check.passed else WARN if check.figure >= check.threshold / 2 else BAD
    rows: Rows = [
        (
            "greedy",
            Text.assemble(
                (f"{check.figure:.1f}", f"bold {colour}"), (f" at {count(check.steps)}", DIM)
            ),
        )
    ]
    if check.reached_at >= 0:
        rows.append(("solved", Text(f"at {count(check.reached_at)} steps", style=f"bold {GOOD}")))
    else:
        rows.append(("solved", Text(f"not yet ({check.threshold:g} to reach)", style=DIM)))
    if check.best_at >= 0 and check.best_at != check.steps:
        rows.append(("best", f"{check.best_figure:.1f} at {count(check.best_at)} (B)"))
    return rows


def network_status(snap: Snapshot) -> Text:
    """The replay buffer's fill and the target network's updates."""
    net = snap.details
    memory = Text(f"buffer {count(net.buffer_fill)}/{count(snap.config.buffer_size)}", style="")
    memory.append(f" · target ×{count(net.target_syncs)}", style=DIM)
    return memory


def _paragraphs(text: str) -> str:
    """A guide written in lines of source width, as paragraphs (each begins "[b]"), so the help
    screen wraps them to its own width."""
    out: list[str] = []
    for line in text.strip("\n").split("\n"):
        if out and not line.startswith("[b]"):
            out[-1] += " " + line
        else:
            out.append(line)
    return "\n".join(out)


TABLE_GUIDE = """\
[b]Status line[/b]: running or paused, the speed, the learner with ε (explore), α (learn) and γ
(discount), the episode and its step, and from how many start states the greedy policy is optimal.
[b]TD explainer[/b]: the last update with its numbers: target = r + γ · bootstrap, δ = target − Q,
Q ← Q + α · δ.
[b]Optimal[/b]: start states from which the greedy policy is optimal for the session's gamma (its
discounted value is the exact optimum's, by value iteration); steps and return beside it are
undiscounted, the tutorials' figures; where the greedy policy loops from some starts, both rows
are over the (n=) starts it finishes from.
[b]Dyna-Q, prioritized sweeping[/b] (l): after each real step, updates from a model learnt from
the steps so far (N: n = 0, 5, 50); Dyna-Q draws a state seen and an action taken in it,
sweeping updates the pairs its queue ranks first (how far their update would move Q). The
explainer says how many updates followed the step.
"""
TABLE_GUIDE = _paragraphs(TABLE_GUIDE)

NETWORK_GUIDE = """\
[b]Status line[/b]: running or paused, the speed, ε (explore), the learning rate and γ
(discount), the episode and its step, the replay buffer's fill and the target network's copies.
[b]TD explainer[/b]: the last gradient step's first replayed transition: the online network's
Q(s,a), the target network's bootstrap, the target r + γ · bootstrap, δ and the Huber loss; Adam
moves the weights θ (there is no table to write Q into).
[b]Solved[/b]: the greedy policy's mean return over 100 episodes at the env's reward threshold
(on a discrete world: optimal from every start, as a table is judged), checked every 2,500 steps
as `train` checks; [b]greedy[/b] is the last check's figure and step, [b]best[/b] the best so far
(B brings it back). [b]max |Q|[/b]: the largest value over recent observations against the
bound no return can pass, r_max / (1 - γ); past it the status line warns (overestimated, then
diverging) and Double DQN (l) is the cure to try. On a world small enough to score, * shows the
exact Q* and the error |Q − Q*| (red: the largest) in the Q-table's place.
[b]Refinements[/b]: with n-step returns (--n-step; 3 on CartPole) the target sums the next n
rewards, discounted ("3-step r +1 +1 +1"), then γⁿ × the bootstrap (Σγᵏr + γⁿboot); with
prioritized replay (--prioritized) a transition is drawn with chance P in proportion to its
priority p = (|δ| + ε)^α and its update weighted by IS w, the importance-sampling weight (β rises
to 1 over the budget); a dueling head (--dueling) shows V(s) and the advantages A(s,·).
"""
NETWORK_GUIDE = _paragraphs(NETWORK_GUIDE)

REGISTRY: dict[str, AgentView] = {
    "tabular": AgentView(explain_table, lambda snap: [], lambda snap: None, TABLE_GUIDE),
    "dqn": AgentView(explain_network, network_rows, network_status, NETWORK_GUIDE),
}

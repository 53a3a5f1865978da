"""The Bellman-backup explainer, as the TD explainer is for an update: for the state backed
up, each action's sum over its successors of p(s'|s,a) [r + gamma V(s')] with the real numbers
(every successor listed on a slippery world, as far as the line allows), then the max (value
iteration) or the policy's average (evaluation), and the new V(s)."""

from __future__ import annotations

from rich.text import Text

from tui_taxi.core.envs import CompiledEnv
from tui_taxi.core.planning import Backup, Planner

DIM = "#8a8a96"


def _term(p: float, r: float, gamma: float, v_next: float | None, deterministic: bool) -> str:
    inner = f"{r:+g}" if v_next is None else f"{r:+g} + {gamma:g}×{v_next:.2f}"
    return inner if deterministic else f"{p:.2g}·({inner})"


def backup_text(planner: Planner, backup: Backup | None, width: int, where: str = "") -> Text:
    """What the last backup computed, in lines of at most ``width`` characters; ``where``: the
    state in words (a grid world's row and column by default)."""
    text = Text()
    if backup is None:
        text.append("No backup yet: ", style="bold")
        text.append("b backs up the next state, s a sweep", style=DIM)
        return text
    model: CompiledEnv = planner.model
    s = backup.state
    if model.grid is not None:
        where = f"row {s // model.grid.n_cols}, col {s % model.grid.n_cols}"
    text.append(f"Backup of s {s}", style="bold")
    text.append(
        f" ({where}) · sweep {backup.sweep}\n" if where else f" · sweep {backup.sweep}\n", style=DIM
    )
    name_w = max(len(n) for n in model.action_names)
    legal = model.legal_mask[s]
    for a, name in enumerate(model.action_names):
        if not legal[a]:
            continue
        k_n = int(model.n_outcomes[s, a])
        deterministic = k_n == 1
        terms = []
        for k in range(k_n):
            p = float(model.prob[s, a, k])
            r = float(model.reward[s, a, k])
            ended = bool(model.terminated[s, a, k])
            v_next = None if ended else float(backup.read[model.next_state[s, a, k]])
            terms.append(_term(p, r, planner.gamma, v_next, deterministic))
        result = f" = {backup.q[a]:.2f}"
        body = " + ".join(terms)
        room = width - name_w - 1 - len(result)
        if len(body) > room:
            body = body[: max(0, room - 1)] + "…"
        text.append(f"{name:<{name_w}} ", style=DIM)
        text.append(body, style=DIM)
        text.append(result + "\n", style="bold")
    how = "max over a" if planner.greedy else "Σ π(a|s) × that"
    text.append(f"{how} → V(s) = ", style=DIM)
    text.append(f"{backup.new:.2f}", style="bold")
    text.append(f" (was {backup.old:.2f})", style=DIM)
    return text

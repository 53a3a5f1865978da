"""The current state's action values and the behaviour policy's probabilities π(a|s) under
epsilon-greedy: exploration against exploitation, with the numbers."""

from __future__ import annotations

import numpy as np
from rich.text import Text

from tui_taxi.ui.views import view_for
from tui_taxi.ui.widgets.snapshot_view import SnapshotView

GREEDY, OTHER, DIM = "#3aa655", "#6f7a8a", "#8a8a96"
NAME_WIDTH = 11  # action names longer than this are shortened


class QValues(SnapshotView):
    DEFAULT_CSS = """
    QValues { height: 7; }
    """

    def text(self) -> Text:
        snap = self.snapshot
        if snap is None:
            return Text("")
        return values_text(
            snap.q_row,
            snap.state_action_names,
            view_for(snap.world).state_name(snap.world, snap.state) if snap.model else "obs",
            self.size.width or 32,
            snap.epsilon,
        )


def epsilon_greedy(values: np.ndarray, epsilon: float) -> np.ndarray:
    """π(a|s): epsilon spread evenly, the rest shared by the actions that tie for the max."""
    best = values == values.max()
    return epsilon / len(values) + (1.0 - epsilon) * best / best.sum()


def values_text(
    values: np.ndarray,
    names: tuple[str, ...],
    state: int | str,
    width: int,
    epsilon: float | None = None,
) -> Text:
    """One line per action: the greedy mark, its Q-value and, given epsilon, π(a|s) as a bar."""
    best = values.max()
    greedy = np.flatnonzero(values == best)
    text = Text(f"Q(s={state}, ·)" if isinstance(state, int) else f"Q({state}, ·)", style="bold")
    if epsilon is not None:
        text.append(f"  π(a|s) at ε {epsilon:.2f}", style=DIM)
    else:
        text.append("   ★ greedy" if len(greedy) == 1 else "   ★ tied: random pick", style=DIM)
    pi = epsilon_greedy(values, epsilon) if epsilon is not None else None
    name_width = min(NAME_WIDTH, max(8, *(len(n) for n in names)))  # "Down-Right", "torque -1"
    bar_width = max(3, width - 20 - name_width)
    for a, (name, value) in enumerate(zip(names, values, strict=True)):
        mark = "★" if a in greedy else " "  # every tied action: the pick is among them
        shown = name if len(name) <= name_width else name[: name_width - 1] + "…"
        text.append(
            f"\n{mark} {shown:<{name_width}}{value:>8.3f}", style="bold" if mark == "★" else ""
        )
        if pi is not None:
            text.append(f" {pi[a]:>6.1%} ", style=DIM)  # (100.0% and 0.0% in one column)
            text.append("█" * int(round(pi[a] * bar_width)), style=GREEDY if a in greedy else OTHER)
    return text

"""All of Q (500 x 6 for Taxi) at once as a colour field, drawn with the Line API.

Each state is ``ceil(A / 2)`` ``▀`` characters: the top halves are the first half of the actions,
the bottom halves the rest (Taxi: top South North East, bottom West Pickup Dropoff). For Taxi, a
row is a taxi cell and a column group a (passenger, destination) pair; the current state's row is
pointed at and its group lit in the header.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from tui_taxi.core.envs import TAXI_PADS
from tui_taxi.protocol import Snapshot
from tui_taxi.ui.colors import DivergingScale
from tui_taxi.ui.widgets.line_cache import LineCache

LEVELS = 24  # colour steps on each side of zero
LABEL = 5  # width of the row labels
TAXI_PER_ROW = 20  # (passenger, destination) pairs per taxi cell


@functools.lru_cache(maxsize=4096)
def _style(top: str, bottom: str) -> Style:
    return Style.parse(f"{top} on {bottom}")


def heatmap_size(model, width: int = 66) -> tuple[int, int]:
    """(columns, rows) the heatmap of ``model`` needs: a header, the states, a legend."""
    chars = math.ceil(model.n_actions / 2)
    per_row = TAXI_PER_ROW if model.is_taxi else max(1, (width - LABEL) // chars)
    per_row = min(per_row, model.n_states)
    return LABEL + per_row * chars, math.ceil(model.n_states / per_row) + 2


class QHeatmap(LineCache):
    DEFAULT_CSS = """
    QHeatmap { height: 27; width: 66; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._shown: tuple[int, np.ndarray] | None = None

    def show(self, snapshot: Snapshot) -> None:
        if self._shown is not None and _same(self._shown, snapshot):
            return  # nothing it draws has changed
        self._shown = (snapshot.state, snapshot.q)
        self.set_lines(heatmap_lines(snapshot, self.size.width or 66))


def _same(shown: tuple[int, np.ndarray], snap: Snapshot) -> bool:
    state, q = shown
    return state == snap.state and q.shape == snap.q.shape and np.array_equal(q, snap.q)


def heatmap_lines(snap: Snapshot, width: int) -> list[Strip]:
    q = snap.q
    n_states, n_actions = q.shape
    chars = math.ceil(n_actions / 2)
    per_row = TAXI_PER_ROW if snap.model.is_taxi else max(1, (width - LABEL) // chars)
    n_rows = math.ceil(n_states / per_row)
    scale = DivergingScale.of(q, worse_up=snap.q_label.startswith("|"))  # (an error)
    palette, codes = _quantise(q, scale)
    padded = np.full((n_rows * per_row, chars * 2), 2 * LEVELS + 1)  # an index for "no action"
    grid = codes.reshape(n_states, n_actions)
    padded[:n_states, :chars] = grid[:, :chars]
    padded[:n_states, chars : chars + n_actions - chars] = grid[:, chars:]
    palette = [*palette, "#000000"]
    cur_row, cur_col = divmod(snap.state, per_row)
    dim = Style.parse("#8a8a96")
    lines = [_header(snap, per_row, chars, dim, cur_col)]
    for r in range(n_rows):
        label = _row_label(snap, r, per_row)
        marker = "▶" if r == cur_row else " "
        segments = [
            Segment(f"{marker}{label:<{LABEL - 1}}", Style.parse("bold") if r == cur_row else dim)
        ]
        for s in range(r * per_row, min((r + 1) * per_row, n_states)):
            for j in range(chars):
                top, bottom = padded[s, j], padded[s, chars + j]
                segments.append(Segment("▀", _style(palette[top], palette[bottom])))
        lines.append(Strip(segments))
    lines.append(_legend(scale, palette, snap.model.action_names, snap.q_label))
    return lines


def _quantise(q: np.ndarray, scale: DivergingScale) -> tuple[list[str], np.ndarray]:
    """A palette of 2 * LEVELS + 1 colours (negative .. zero .. positive) and each value's index."""
    neg = np.linspace(scale.low, 0, LEVELS + 1)[:-1]
    pos = np.linspace(0, scale.high, LEVELS + 1)[1:]
    palette = [scale.hex(v) for v in (*neg, 0.0, *pos)]
    flat = np.nan_to_num(q.ravel())
    codes = np.full(flat.shape, LEVELS, dtype=np.int64)
    if scale.low < 0:
        neg_mask = flat < 0
        codes[neg_mask] = LEVELS - np.ceil(flat[neg_mask] / scale.low * LEVELS).astype(np.int64)
    if scale.high > 0:
        pos_mask = flat > 0
        codes[pos_mask] = LEVELS + np.ceil(flat[pos_mask] / scale.high * LEVELS).astype(np.int64)
    return palette, np.clip(codes, 0, 2 * LEVELS)


def _row_label(snap: Snapshot, r: int, per_row: int) -> str:
    if snap.model.is_taxi:
        return f"{r // 5},{r % 5}"
    return str(r * per_row)


POINTER = Style.parse("bold #000000 on #f2c12e")


def _header(snap: Snapshot, per_row: int, chars: int, dim: Style, cur_col: int) -> Strip:
    """Column labels; the current state's column (group, for Taxi) is lit."""
    if not snap.model.is_taxi:
        text = f"{'state':<{LABEL}}"
        segments = [Segment(text, dim)]
        before = " " * (cur_col * chars)
        return Strip([*segments, Segment(before, dim), Segment("▼" * chars, POINTER)])
    # 20 groups: passenger R G Y B taxi (T), each with destinations R G Y B
    segments = [Segment("taxi ", dim)]
    group = cur_col // 4
    for g, passenger in enumerate((*TAXI_PADS, "T")):
        label = f"{'p=' + passenger:<{4 * chars}}"
        if g != group:
            segments.append(Segment(label, dim))
            continue
        start = (cur_col % 4) * chars  # this state's column: lit, its label kept where it has one
        here = "".join(c if c != " " else "▼" for c in label[start : start + chars])
        segments += [
            Segment(label[:start], dim),
            Segment(here, POINTER),
            Segment(label[start + chars :], dim),
        ]
    return Strip(segments)


def _legend(
    scale: DivergingScale, palette: list[str], names: tuple[str, ...], label: str = ""
) -> Strip:
    """The colour scale and the cell's layout; ``label``: what the values are, when they are
    not the agent's ("Q*", "|Q−Q*|")."""
    chars = math.ceil(len(names) / 2)
    top = " ".join(n[0] for n in names[:chars])
    bottom = " ".join(n[0] for n in names[chars:])
    segments = [Segment(f"{label} ", Style.parse("bold"))] if label else []
    low, high = ("#3aa655", "#d64545") if scale.worse_up else ("#d64545", "#3aa655")
    segments.append(Segment(f"{_short(scale.low)} ", Style.parse(low)))
    for colour in palette[: 2 * LEVELS + 1 : 4]:
        segments.append(Segment("█", Style.parse(colour)))
    segments.append(Segment(f" {_short(scale.high)}", Style.parse(high)))
    segments.append(Segment(f"  cell ▀: {top} / {bottom}", Style.parse("#8a8a96")))
    return Strip(segments)


def _short(value: float) -> str:
    return f"{value:+.1f}" if abs(value) < 100 else f"{value:+.0f}"

"""A DQN agent's save, as the plain arrays of a :mod:`tui_taxi.core.archive`: weights, target
weights, Adam's moments, counters, the generator, the env's state, the history (with its loss
columns) and (optionally: it can be large) the replay buffer. A save with its buffer continues
exactly as if training had never stopped; without it, the buffer starts empty.

Version 3 keeps the loss in the history's own columns; version 2 (a second history whose
``episodic_return`` column held the loss) is still read. Version 5 added prioritized replay and
n-step returns: an earlier save has neither (their arrays start as a fresh run's).
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from tui_taxi.core.archive import (
    HISTORY_MEMBERS,
    Archive,
    Invalid,
    check,
    finite,
    read_archive,
    read_env_kwargs,
    read_header,
    read_history,
    write_archive,
)
from tui_taxi.core.dqn import kernel
from tui_taxi.core.dqn.config import DQNConfig
from tui_taxi.core.episodes import COLUMNS, History

FORMAT = "tui-taxi-dqn"
#: 5: prioritized replay and n-step returns (the config's fields; each transition's episode-end
#: flag; the priorities' trees; the record's sample numbers); 4: the config's ``dueling``
#: (earlier saves: no dueling head); 3: the loss in the history's extra columns; 2: the cursor
#: carries a step left half done (always finished in a save)
VERSION = 5
READS = (2, 3, 4, 5)
#: Config fields added since a version, and what a save from before means by them.
_ADDED = {
    4: {"dueling": False},
    5: {
        "prioritized": False,
        "prioritized_alpha": 0.6,
        "prioritized_beta0": 0.4,
        "prioritized_eps": 1e-6,
        "n_step": 1,
    },
}
#: Arrays added in version 5 (an earlier save's are a fresh run's, its buffer's end flags its
#: terminations), and the record's length before it.
_NEW_IN_5 = ("buf_end", "per_sum", "per_min")
_RECORD_BEFORE_5 = kernel.R_SAMPLE_STEPS
MAX_ABS = 1e100  # weights and moments beyond this are refused
#: The history's columns of a network's own: the sum of each episode's mean TD loss, and
#: whether a gradient step ran in it (their ratio, per bin, is the chart's loss).
EXTRA = ("td_loss", "updated")
_ARRAYS = {
    "theta": np.float64,
    "target": np.float64,
    "adam_m": np.float64,
    "adam_v": np.float64,
    "cursor": np.int64,
    "fcursor": np.float64,
    "rng": np.uint64,
    "env_state": np.float64,
    "record": np.float64,
    "record_obs": np.float64,
    "buf_obs": np.float64,
    "buf_next": np.float64,
    "buf_action": np.int64,
    "buf_reward": np.float64,
    "buf_terminated": np.bool_,
    "buf_end": np.bool_,
    "per_sum": np.float64,
    "per_min": np.float64,
}
#: Version 2's loss history, beside the history.
_LOSS_MEMBERS = {name.replace("history_", "loss_"): kind for name, kind in HISTORY_MEMBERS.items()}
MEMBERS = {"header": None, **_ARRAYS, **HISTORY_MEMBERS, **_LOSS_MEMBERS}
#: The replay buffer's arrays (a copy takes their filled rows only; a save without its buffer
#: leaves them, and the trees, out).
BUFFER_ARRAYS = (
    "buf_obs",
    "buf_next",
    "buf_action",
    "buf_reward",
    "buf_terminated",
    "buf_end",
)
#: Prioritized replay's sum-tree and min-tree over the buffer's transitions.
TREE_ARRAYS = ("per_sum", "per_min")
_BUFFER = BUFFER_ARRAYS + TREE_ARRAYS
_CONFIG_FIELDS = tuple(f.name for f in dataclasses.fields(DQNConfig))


def save(agent, path: str | os.PathLike, *, buffer: bool = False) -> Path:
    """Write ``agent`` (a settled DQNAgent) to ``path`` atomically (``buffer``: the replay
    buffer too)."""
    config = {name: getattr(agent.config, name) for name in _CONFIG_FIELDS}
    config["env_kwargs"] = [list(item) for item in agent.config.env_kwargs]
    config["hidden"] = list(agent.config.hidden)
    header = {"format": FORMAT, "version": VERSION, "buffer": buffer, "config": config}
    arrays = {"header": np.array(json.dumps(header))}
    for name in _ARRAYS:
        if name not in _BUFFER or buffer:
            arrays[name] = agent.arrays[name]
    if not buffer:  # the buffer starts empty when loaded
        cursor = agent.arrays["cursor"].copy()
        cursor[kernel.C_FILL] = cursor[kernel.C_POS] = 0
        arrays["cursor"] = cursor
    arrays.update(agent.history.to_arrays())
    return write_archive(path, arrays)


def load(path: str | os.PathLike, probe: Callable[[DQNConfig], object]) -> dict:
    """Read a DQN save, validating every array before it is used: ``{"config", "arrays",
    "history"}``. ``probe(config)`` is a fresh agent of the saved config: its arrays give the
    shapes and the empty buffer, its time limit and world the bounds."""
    return read_archive(path, MEMBERS, lambda archive: _read(archive, probe))


def _config(header: dict) -> DQNConfig:
    version = header.get("version")
    check(
        type(version) is int and version in READS,
        f"unsupported version {version!r} (this tui-taxi reads versions {READS[0]}-{READS[-1]})",
    )
    check(set(header) == {"format", "version", "buffer", "config"}, "header has wrong fields")
    check(type(header["buffer"]) is bool, "header's buffer must be true or false")
    raw = header["config"]
    added = {
        name: value
        for since, fields in _ADDED.items()
        if version < since
        for name, value in fields.items()
    }
    check(
        isinstance(raw, dict) and set(raw) | set(added) == set(_CONFIG_FIELDS),
        "header's config has missing or unknown fields",
    )
    check(not set(added) & set(raw), "header's config has fields its version did not have")
    values = {**added, **dict(raw)}
    values["env_kwargs"] = read_env_kwargs(raw["env_kwargs"])
    hidden = raw["hidden"]
    check(isinstance(hidden, list), f"hidden must be a list, got {hidden!r}"[:200])
    values["hidden"] = tuple(hidden)
    for name, value in values.items():
        check(
            value is None or type(value) in (bool, int, float, str, tuple),
            f"config {name} must be a plain value"[:200],
        )
    return DQNConfig(**values)  # validates every field (a ConfigError names the bad one)


def _read(archive: Archive, probe: Callable[[DQNConfig], object]) -> dict:
    header = read_header(archive, (FORMAT,))
    config = _config(header)
    fresh = probe(config)  # the shapes a run of this config has
    old = header["version"] < 5
    arrays = {}
    for name, empty in fresh.arrays.items():
        if (name in _BUFFER and not header["buffer"]) or (old and name in _NEW_IN_5):
            arrays[name] = empty
        elif old and name == "record":  # the sample's numbers came later: unknown (NaN)
            arrays[name] = np.concatenate(
                [archive.read(name, (_RECORD_BEFORE_5,)), empty[_RECORD_BEFORE_5:]]
            )
        else:
            arrays[name] = archive.read(name, empty.shape)
    if old and header["buffer"]:
        arrays["buf_end"] = arrays["buf_terminated"].copy()
    for name in (
        "theta",
        "target",
        "adam_m",
        "adam_v",
        "fcursor",
        "env_state",
        "buf_obs",
        "buf_next",
        "buf_reward",
        "record_obs",
    ):
        finite(arrays[name], name)
    for name in ("theta", "target", "adam_m", "adam_v"):
        check(bool(np.all(np.abs(arrays[name]) <= MAX_ABS)), f"{name} has values beyond 1e100")
    check(bool(np.all(arrays["adam_v"] >= 0)), "adam_v has negative values")
    check(bool(np.any(arrays["rng"] != 0)), "generator state is all zero")
    _check_counters(arrays, fresh, config, header["buffer"])
    history = _history(archive, header["version"])
    check(
        history.episodes == arrays["cursor"][kernel.C_EPISODE],
        "the history and the episode counter disagree",
    )
    return {"config": config, "arrays": arrays, "history": history}


def _history(archive: Archive, version: int) -> History:
    """The history with its loss columns; version 2 kept the loss in a second history (its
    return column the loss, its success column whether an update ran)."""
    if version >= 3:
        history = read_history(archive, EXTRA)
    else:
        returns = read_history(archive)
        losses = _loss_history(archive)
        check(
            losses.episodes == returns.episodes and losses.n_bins == returns.n_bins,
            "the histories disagree",
        )
        sums = np.hstack([returns.sums(), losses.sums()[:, [0, 3]]])
        meta = returns.to_arrays()["history_meta"]
        recent = returns.to_arrays()["history_recent"]
        try:
            history = History.from_arrays(sums, meta, recent, extra=EXTRA)
        except ValueError as exc:
            raise Invalid(str(exc)) from None
    sums = history.sums()
    counts = history.counts()
    check(bool(np.all(sums[:, len(COLUMNS) + 1] <= counts)), "history's update counts invalid")
    return history


def _loss_history(archive: Archive) -> History:
    """Version 2's loss history (members ``loss_*``)."""

    class Renamed:  # the same checks as any history, under the loss_ names
        def read(self, name, shape, **kwargs):
            return archive.read(name.replace("history_", "loss_"), shape, **kwargs)

    return read_history(Renamed())


def _check_counters(arrays: dict, probe, config: DQNConfig, buffer: bool) -> None:
    c = arrays["cursor"]
    total, fill, pos = int(c[kernel.C_TOTAL]), int(c[kernel.C_FILL]), int(c[kernel.C_POS])
    check(total >= 0 and c[kernel.C_EPISODE] >= 0 and c[kernel.C_T] >= 0, "negative counters")
    check(
        c[kernel.C_T] <= total and c[kernel.C_EPISODE] <= total, "counters exceed the steps taken"
    )
    limit = probe.time_limit
    check(limit <= 0 or c[kernel.C_T] < limit, f"the episode is past its time limit of {limit}")
    check(0 <= fill <= min(total, config.buffer_size), f"buffer fill {fill} out of range")
    check(0 <= pos < config.buffer_size, f"buffer position {pos} out of range")
    check(buffer or fill == 0, "a buffer fill without the buffer")
    check(
        fill == config.buffer_size or pos == fill % config.buffer_size,
        "buffer position and fill disagree",
    )
    for name in (kernel.C_SYNCS, kernel.C_UPDATES, kernel.C_ADAM_T, kernel.C_EP_UPDATES):
        check(0 <= c[name] <= max(total, 0) * max(config.gradient_steps, 1), "counters invalid")
    check(-1 <= c[kernel.C_LAST_SYNC] <= total, "the last sync step is out of range")
    check(c[kernel.C_PENDING] == 0, "a pending action in a save")
    check(c[kernel.C_IN_STEP] == 0 and c[kernel.C_ROUND_LEFT] == 0, "a step half done in a save")
    n_actions = probe.n_actions
    actions = arrays["buf_action"][:fill]
    check(bool(np.all((actions >= 0) & (actions < n_actions))), "buffer actions out of range")
    if probe.model is not None:
        n_states = probe.model.n_states
        check(0 <= c[kernel.C_STATE] < n_states, f"state {c[kernel.C_STATE]} out of range")
        for name in ("buf_obs", "buf_next"):
            s = arrays[name][:fill]
            check(
                bool(np.all((s >= 0) & (s < n_states) & (s == np.floor(s)))),
                f"{name} holds states out of range",
            )
    record = arrays["record"]
    known = record[~np.isnan(record)]
    check(bool(np.all(np.isfinite(known))), "record has infinite values")
    check(
        not np.any(arrays["buf_terminated"][:fill] & ~arrays["buf_end"][:fill]),
        "a terminal transition not marked as an episode's end",
    )
    if config.prioritized:
        _check_trees(arrays, fill)


def _check_trees(arrays: dict, fill: int) -> None:
    """Prioritized replay's trees: each filled transition's priority positive and finite, the
    rest 0, and every node above them what its leaves make (rebuilt here and compared)."""
    per_sum, per_min = arrays["per_sum"], arrays["per_min"]
    leaves = per_sum.shape[0] // 2
    priorities = per_sum[leaves : leaves + fill]
    finite(per_sum, "per_sum")
    check(bool(np.all((priorities > 0) & (priorities <= MAX_ABS))), "priorities out of range")
    check(not np.any(per_sum[leaves + fill :]), "priorities beyond the buffer's fill")
    check(
        per_sum[0] >= (priorities.max() if fill else 0) and per_sum[0] <= MAX_ABS,
        "the largest priority is below a transition's",
    )
    rebuilt = {"per_sum": np.zeros_like(per_sum), "per_min": np.full_like(per_min, np.inf)}
    rebuilt["per_sum"][0] = per_sum[0]
    for i in range(fill):
        kernel.tree_set(rebuilt["per_sum"], rebuilt["per_min"], i, priorities[i])
    for name, tree in rebuilt.items():
        check(
            np.array_equal(arrays[name][1:], tree[1:]), f"{name}'s nodes disagree with its leaves"
        )

"""Save and load a DQN agent as ``.npz`` without pickle, with the checks and the atomic write of
:mod:`tui_taxi.core.persist`: weights, target weights, Adam's moments, counters, the generator,
the env's state, the histories and (optionally: it can be large) the replay buffer. A save with
its buffer continues exactly as if training had never stopped; without it, the buffer starts
empty. :func:`load_any` reads a save of either kind (the header says which)."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np

from tui_taxi.core.dqn import kernel as K
from tui_taxi.core.dqn.agent import DQNAgent
from tui_taxi.core.dqn.config import DQNConfig
from tui_taxi.core.history import History
from tui_taxi.core.persist import (
    FORMAT as SESSION_FORMAT,
)
from tui_taxi.core.persist import (
    MEMBERS as SESSION_MEMBERS,
)
from tui_taxi.core.persist import (
    _check,
    _check_target,
    _env_kwargs,
    _finite,
    load_session,
    read_archive,
    read_header,
    read_history,
    write_archive,
)
from tui_taxi.core.session import Session

FORMAT = "tui-taxi-dqn"
VERSION = 2  # 2: the cursor carries a step left half done (always finished in a save)
MAX_ABS = 1e100  # weights and moments beyond this are refused
_HISTORY = ("sums", "meta", "recent")
MEMBERS = {
    "header": None,
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
    **{f"history_{k}": (np.int64 if k == "meta" else np.float64) for k in _HISTORY},
    **{f"loss_{k}": (np.int64 if k == "meta" else np.float64) for k in _HISTORY},
}
_BUFFER = ("buf_obs", "buf_next", "buf_action", "buf_reward", "buf_terminated")
_CONFIG_FIELDS = tuple(f.name for f in dataclasses.fields(DQNConfig))


def save_agent(agent: DQNAgent, path: str | os.PathLike, *, buffer: bool = False) -> Path:
    """Write ``agent`` to ``path`` atomically (``buffer``: the replay buffer too). A step left
    half done by an update budget is finished first, so a save never holds one."""
    folder, path = _check_target(path)
    agent.settle()
    config = {name: getattr(agent.config, name) for name in _CONFIG_FIELDS}
    config["env_kwargs"] = [list(item) for item in agent.config.env_kwargs]
    config["hidden"] = list(agent.config.hidden)
    header = {"format": FORMAT, "version": VERSION, "buffer": buffer, "config": config}
    import json

    arrays = {"header": np.array(json.dumps(header))}
    for name in MEMBERS:
        if name == "header" or name.startswith(("history_", "loss_")):
            continue
        if name in _BUFFER and not buffer:
            continue
        arrays[name] = agent.a[name]
    if not buffer:  # the buffer starts empty when loaded
        cursor = agent.a["cursor"].copy()
        cursor[K.C_FILL] = cursor[K.C_POS] = 0
        arrays["cursor"] = cursor
    arrays.update(agent.history.to_arrays())
    arrays.update(
        {f"loss_{k.removeprefix('history_')}": v for k, v in agent.loss_history.to_arrays().items()}
    )
    return write_archive(folder, path, arrays)


def load_agent(path: str | os.PathLike) -> DQNAgent:
    """Read a DQN save, validating every array before it is used."""
    return read_archive(path, MEMBERS, _agent_from_archive)


def load_any(path: str | os.PathLike) -> Session | DQNAgent:
    """A tabular session or a DQN agent, whichever the file holds."""
    kind = read_archive(
        path,
        {**SESSION_MEMBERS, **MEMBERS},
        lambda archive: read_header(archive, (SESSION_FORMAT, FORMAT))["format"],
    )
    return load_agent(path) if kind == FORMAT else load_session(path)


def _config(header: dict) -> DQNConfig:
    version = header.get("version")
    _check(
        type(version) is int and version == VERSION,
        f"unsupported version {version!r} (this tui-taxi reads version {VERSION})",
    )
    _check(set(header) == {"format", "version", "buffer", "config"}, "header has wrong fields")
    _check(type(header["buffer"]) is bool, "header's buffer must be true or false")
    raw = header["config"]
    _check(
        isinstance(raw, dict) and set(raw) == set(_CONFIG_FIELDS),
        "header's config has missing or unknown fields",
    )
    values = dict(raw)
    values["env_kwargs"] = _env_kwargs(raw["env_kwargs"])
    hidden = raw["hidden"]
    _check(isinstance(hidden, list), f"hidden must be a list, got {hidden!r}"[:200])
    values["hidden"] = tuple(hidden)
    for name, value in values.items():
        _check(
            value is None or type(value) in (bool, int, float, str, tuple),
            f"config {name} must be a plain value"[:200],
        )
    return DQNConfig(**values)  # validates every field (a ConfigError names the bad one)


def _agent_from_archive(archive) -> DQNAgent:
    header = read_header(archive, (FORMAT,))
    config = _config(header)
    probe = DQNAgent(config)  # the shapes a run of this config has
    arrays = {}
    for name, fresh in probe.a.items():
        if name in _BUFFER and not header["buffer"]:
            arrays[name] = fresh
            continue
        arrays[name] = archive.read(name, fresh.shape)
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
        _finite(arrays[name], name)
    for name in ("theta", "target", "adam_m", "adam_v"):
        _check(bool(np.all(np.abs(arrays[name]) <= MAX_ABS)), f"{name} has values beyond 1e100")
    _check(bool(np.all(arrays["adam_v"] >= 0)), "adam_v has negative values")
    _check(bool(np.any(arrays["rng"] != 0)), "generator state is all zero")
    _check_counters(arrays, probe, config, header["buffer"])
    history = read_history(archive)
    losses = read_history(archive, "loss")
    _check(
        losses.episodes == history.episodes and history.episodes == arrays["cursor"][K.C_EPISODE],
        "the histories and the episode counter disagree",
    )
    return DQNAgent(config, arrays=arrays, history=history, loss_history=losses)


def _check_counters(arrays: dict, probe: DQNAgent, config: DQNConfig, buffer: bool) -> None:
    c = arrays["cursor"]
    total, fill, pos = int(c[K.C_TOTAL]), int(c[K.C_FILL]), int(c[K.C_POS])
    _check(total >= 0 and c[K.C_EPISODE] >= 0 and c[K.C_T] >= 0, "negative counters")
    _check(c[K.C_T] <= total and c[K.C_EPISODE] <= total, "counters exceed the steps taken")
    limit = probe.time_limit
    _check(limit <= 0 or c[K.C_T] < limit, f"the episode is past its time limit of {limit}")
    _check(0 <= fill <= min(total, config.buffer_size), f"buffer fill {fill} out of range")
    _check(0 <= pos < config.buffer_size, f"buffer position {pos} out of range")
    _check(buffer or fill == 0, "a buffer fill without the buffer")
    _check(
        fill == config.buffer_size or pos == fill % config.buffer_size,
        "buffer position and fill disagree",
    )
    for name in (K.C_SYNCS, K.C_UPDATES, K.C_ADAM_T, K.C_EP_UPDATES):
        _check(0 <= c[name] <= max(total, 0) * max(config.gradient_steps, 1), "counters invalid")
    _check(-1 <= c[K.C_LAST_SYNC] <= total, "the last sync step is out of range")
    _check(c[K.C_PENDING] == 0, "a pending action in a save")
    _check(c[K.C_IN_STEP] == 0 and c[K.C_ROUND_LEFT] == 0, "a step half done in a save")
    n_actions = probe.n_actions
    actions = arrays["buf_action"][:fill]
    _check(bool(np.all((actions >= 0) & (actions < n_actions))), "buffer actions out of range")
    if probe.model is not None:
        n_states = probe.model.n_states
        _check(0 <= c[K.C_STATE] < n_states, f"state {c[K.C_STATE]} out of range")
        for name in ("buf_obs", "buf_next"):
            s = arrays[name][:fill]
            _check(
                bool(np.all((s >= 0) & (s < n_states) & (s == np.floor(s)))),
                f"{name} holds states out of range",
            )
    record = arrays["record"]
    known = record[~np.isnan(record)]
    _check(bool(np.all(np.isfinite(known))), "record has infinite values")
    _check(History is not None, "")  # the histories are read after the counters

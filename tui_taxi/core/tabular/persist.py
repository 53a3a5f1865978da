"""A tabular agent's save: everything it needs to continue exactly (Q-tables, counters, the
generator's state, the schedules, the history) as the plain arrays of a
:mod:`tui_taxi.core.archive`, every value checked on the way back in against what training could
have produced."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from tui_taxi.core.archive import (
    HISTORY_MEMBERS,
    Archive,
    check,
    finite,
    read_archive,
    read_env_kwargs,
    read_header,
    read_history,
    write_archive,
)
from tui_taxi.core.envs import CompiledEnv, compile_env
from tui_taxi.core.schedules import Schedule
from tui_taxi.core.tabular import kernel
from tui_taxi.core.tabular.config import TrainConfig

FORMAT = "tui-taxi-session"
#: 2: Dyna-Q's planning steps (header) and its learnt model (members ``dyna_*``); a version 1
#: save (none of them) loads with no planning and an empty model.
VERSION = 2
READS = (1, 2)
#: The header's fields and what each must be (bool is not a number here).
HEADER_FIELDS = (
    "format",
    "version",
    "env_id",
    "env_kwargs",
    "learner",
    "planning_steps",
    "gamma",
    "max_steps",
    "seed",
)
#: Members of a tabular agent's save (``name.npy``) and their dtypes.
MEMBERS = {
    "header": None,  # a unicode scalar
    "alpha": np.float64,
    "epsilon": np.float64,
    "q_a": np.float64,
    "q_b": np.float64,
    "cursor": np.int64,
    "fcursor": np.float64,
    "rng": np.uint64,
    "record": np.float64,
    "dyna_next": np.int64,
    "dyna_reward": np.float64,
    "dyna_terminated": np.bool_,
    "dyna_states": np.int64,
    "dyna_actions": np.int64,
    "dyna_queue": np.int64,
    "dyna_priority": np.float64,
    "dyna_where": np.int64,
    "dyna_backups": np.int64,
    **HISTORY_MEMBERS,
}
_DYNA = (
    "dyna_next",
    "dyna_reward",
    "dyna_terminated",
    "dyna_states",
    "dyna_actions",
    "dyna_queue",
    "dyna_priority",
    "dyna_where",
    "dyna_backups",
)
#: Q-values beyond this are refused, so that Q_A + Q_B stays finite.
MAX_ABS_Q = 1e300


def save(agent, path: str | os.PathLike) -> Path:
    """Write a tabular agent to ``path`` atomically and return the path (see
    :func:`~tui_taxi.core.archive.write_archive`)."""
    config = agent.config
    header = {
        "format": FORMAT,
        "version": VERSION,
        "env_id": config.env_id,
        "env_kwargs": [list(item) for item in config.env_kwargs],
        "learner": config.learner,
        "planning_steps": config.planning_steps,
        "gamma": config.gamma,
        "max_steps": config.max_steps,
        "seed": config.seed,
    }
    arrays = {
        "header": np.array(json.dumps(header)),
        "alpha": config.alpha.as_array(),
        "epsilon": config.epsilon.as_array(),
        "q_a": agent.q_a,
        "q_b": agent.q_b,
        "cursor": agent.cursor,
        "fcursor": agent.fcursor,
        "rng": agent.rng,
        "record": agent.record,
        **dict(zip(_DYNA, agent.dyna, strict=True)),
        **agent.history.to_arrays(),
    }
    return write_archive(path, arrays)


def load(path: str | os.PathLike) -> dict:
    """Read a tabular agent's save, validating everything it contains: the agent's
    constructor arguments."""
    return read_archive(path, MEMBERS, _read)


def _read(archive: Archive) -> dict:
    config, version = _config(archive)
    model = compile_env(config.env_id, config.env_kwargs)
    shape = (model.n_states, model.n_actions)
    q_a = _table(archive, "q_a", shape)
    q_b = _table(archive, "q_b", shape)  # written for every learner: the same table but Double Q
    cursor = archive.read("cursor", (kernel.N_CURSOR,))
    fcursor = finite(archive.read("fcursor", (kernel.N_FCURSOR,)), "fcursor")
    rng = archive.read("rng", (4,))
    check(bool(np.any(rng != 0)), "generator state is all zero")
    history = read_history(archive)
    record = _record(archive, version, config)
    _check_cursor(cursor, fcursor, model, config, history)
    _check_record(record, cursor, model)
    empty = kernel.Dyna.empty(*shape)
    if version < 2:
        dyna = empty
    else:
        dyna = kernel.Dyna(*(archive.read(n, e.shape) for n, e in zip(_DYNA, empty, strict=True)))
        _check_dyna(dyna, model)
    return {
        "config": config,
        "model": model,
        "q_a": q_a,
        "q_b": q_b if config.learner == "double-q" else None,
        "cursor": cursor,
        "fcursor": fcursor,
        "rng": rng,
        "history": history,
        "record": record,
        "dyna": dyna,
    }


def _config(archive: Archive) -> tuple[TrainConfig, int]:
    header = read_header(archive, (FORMAT,))
    version = header.get("version")
    check(
        type(version) is int and version in READS,
        f"unsupported version {version!r} (this tui-taxi reads versions 1-{VERSION})",
    )
    expected = (
        HEADER_FIELDS if version >= 2 else tuple(n for n in HEADER_FIELDS if n != "planning_steps")
    )
    missing = [name for name in expected if name not in header]
    check(not missing, f"header lacks {', '.join(missing)}")
    unknown = sorted(set(header) - set(expected))
    check(not unknown, f"header has unknown fields {', '.join(map(repr, unknown))}")
    check(isinstance(header["env_id"], str), f"env_id must be text, got {header['env_id']!r}")
    check(isinstance(header["learner"], str), f"learner must be text, got {header['learner']!r}")
    gamma, seed, max_steps = header["gamma"], header["seed"], header["max_steps"]
    check(type(gamma) in (int, float), f"gamma must be a number, got {gamma!r}")
    check(type(seed) is int, f"seed must be a whole number, got {seed!r}")
    check(
        max_steps is None or type(max_steps) is int,
        f"max_steps must be a whole number or null, got {max_steps!r}",
    )
    planning = header.get("planning_steps", 0)
    check(type(planning) is int, f"planning_steps must be a whole number, got {planning!r}")
    config = TrainConfig(
        env_id=header["env_id"],
        env_kwargs=read_env_kwargs(header["env_kwargs"]),
        learner=header["learner"],
        planning_steps=planning,
        alpha=_schedule(archive, "alpha"),
        gamma=gamma,
        epsilon=_schedule(archive, "epsilon"),
        max_steps=max_steps,
        seed=seed,
    )
    return config, version


def _schedule(archive: Archive, name: str) -> Schedule:
    return Schedule.from_array(finite(archive.read(name, (4,)), name))


def _table(archive: Archive, name: str, shape: tuple[int, int]) -> np.ndarray:
    q = finite(archive.read(name, shape), name)
    check(bool(np.all(np.abs(q) <= MAX_ABS_Q)), f"{name} has values beyond +-{MAX_ABS_Q:g}")
    return q


def _check_cursor(cursor, fcursor, model: CompiledEnv, config: TrainConfig, history) -> None:
    """The counters as the kernel leaves them between calls."""
    state, action, pending, explored, t, episode, total, penalties = (
        int(cursor[i])
        for i in (
            kernel.C_STATE,
            kernel.C_ACTION,
            kernel.C_PENDING,
            kernel.C_PENDING_EXPLORED,
            kernel.C_T,
            kernel.C_EPISODE,
            kernel.C_TOTAL,
            kernel.C_PENALTIES,
        )
    )
    check(0 <= state < model.n_states, f"current state {state} out of range 0-{model.n_states - 1}")
    check(
        0 <= action < model.n_actions,
        f"pending action {action} out of range 0-{model.n_actions - 1}",
    )
    check(pending in (0, 1), f"pending flag is {pending}, expected 0 or 1")
    check(explored in (0, 1), f"pending-explored flag is {explored}, expected 0 or 1")
    check(min(t, episode, total, penalties) >= 0, "negative counters")
    limit = config.time_limit(model)
    check(limit == 0 or t < limit, f"step {t} of the episode is not below the time limit {limit}")
    check(episode + t <= total, f"{episode} episodes and {t} steps need more than {total} steps")
    check(penalties <= t, f"{penalties} penalties in {t} steps")
    check(t > 0 or fcursor[kernel.F_RETURN] == 0.0, "an episode with no steps has a return")
    check(
        history.episodes == episode,
        f"history covers {history.episodes} episodes, the counters {episode}",
    )


def _check_record(record, cursor, model: CompiledEnv) -> None:
    """The last step: all NaN (none yet) or a transition the env can make, ending where the
    counters say."""
    if np.all(np.isnan(record)):
        return
    finite(record, "record")
    whole = (
        kernel.R_STATE,
        kernel.R_ACTION,
        kernel.R_NEXT_STATE,
        kernel.R_TERMINATED,
        kernel.R_TRUNCATED,
        kernel.R_EXPLORED,
        kernel.R_TABLE,
        kernel.R_EPISODE,
        kernel.R_T,
        kernel.R_LEARNER,
        kernel.R_PLANNED,
    )
    check(all(float(record[i]).is_integer() for i in whole), "record has fractional counters")
    check(
        0 <= record[kernel.R_LEARNER] < len(kernel.LEARNERS) and record[kernel.R_PLANNED] >= 0,
        "record's learner or planning count out of range",
    )
    s, a, s_next = (int(record[i]) for i in (kernel.R_STATE, kernel.R_ACTION, kernel.R_NEXT_STATE))
    check(
        0 <= s < model.n_states and 0 <= s_next < model.n_states,
        f"record's states {s} -> {s_next} out of range 0-{model.n_states - 1}",
    )
    check(0 <= a < model.n_actions, f"record's action {a} out of range 0-{model.n_actions - 1}")
    flags = (kernel.R_TERMINATED, kernel.R_TRUNCATED, kernel.R_EXPLORED, kernel.R_TABLE)
    check(all(record[i] in (0.0, 1.0) for i in flags), "record's flags must be 0 or 1")
    terminated, truncated = bool(record[kernel.R_TERMINATED]), bool(record[kernel.R_TRUNCATED])
    check(not (terminated and truncated), "record is both terminated and truncated")
    for i, name in (
        (kernel.R_EPSILON, "epsilon"),
        (kernel.R_ALPHA, "alpha"),
        (kernel.R_GAMMA, "gamma"),
    ):
        check(0.0 <= record[i] <= 1.0, f"record's {name} {record[i]:g} is outside [0, 1]")
    n = model.n_outcomes[s, a]
    possible = (
        (model.next_state[s, a, :n] == s_next)
        & (model.reward[s, a, :n] == record[kernel.R_REWARD])
        & (model.terminated[s, a, :n] == terminated)
    )
    check(bool(possible.any()), f"record's step {s} -{a}-> {s_next} is not one the env makes")
    episode, t = int(record[kernel.R_EPISODE]), int(record[kernel.R_T])
    if terminated or truncated:  # the episode ended: the counters start the next one
        ok = cursor[kernel.C_T] == 0 and episode == cursor[kernel.C_EPISODE] - 1 and t >= 1
    else:  # the episode goes on from there, unless new_episode abandoned it
        goes_on = t == cursor[kernel.C_T] and s_next == cursor[kernel.C_STATE]
        ok = episode == cursor[kernel.C_EPISODE] and t >= 1 and (goes_on or cursor[kernel.C_T] == 0)
    check(ok, f"record's step {t} of episode {episode} does not match the counters")


def _check_dyna(dyna: kernel.Dyna, model: CompiledEnv) -> None:
    """Dyna-Q's model: the states seen listed once each, each one's actions taken listed once
    each and in range, every (s, a) taken with a next state in range and a finite reward."""
    n_states, n_actions = model.n_states, model.n_actions
    count = int(dyna.states[-1])
    check(0 <= count <= n_states, "dyna_states' count out of range")
    seen = dyna.states[:count]
    check(bool(np.all((seen >= 0) & (seen < n_states))), "dyna_states out of range")
    check(len(np.unique(seen)) == count, "dyna_states lists a state twice")
    taken = dyna.actions[:, -1]
    check(bool(np.all((taken >= 0) & (taken <= n_actions))), "dyna_actions' counts out of range")
    check(
        set(np.flatnonzero(taken).tolist()) == set(seen.tolist()),
        "dyna states and actions disagree",
    )
    finite(dyna.reward, "dyna_reward")
    for s in seen:
        actions = dyna.actions[s, : taken[s]]
        check(bool(np.all((actions >= 0) & (actions < n_actions))), "dyna_actions out of range")
        check(len(np.unique(actions)) == len(actions), "dyna_actions lists an action twice")
        nxt = dyna.next_state[s, actions]
        check(bool(np.all((nxt >= 0) & (nxt < n_states))), "dyna_next out of range")
    check(int(dyna.backups[0]) >= 0, "dyna_backups negative")
    # prioritized sweeping's queue: a heap of distinct pairs taken, each where `where` says
    size = int(dyna.queue[-1])
    pairs = n_states * n_actions
    check(0 <= size <= pairs, "dyna_queue's size out of range")
    queued = dyna.queue[:size]
    check(bool(np.all((queued >= 0) & (queued < pairs))), "dyna_queue out of range")
    check(len(np.unique(queued)) == size, "dyna_queue lists a pair twice")
    expected_where = np.full(pairs, -1, np.int64)
    expected_where[queued] = np.arange(size)
    check(np.array_equal(dyna.where, expected_where), "dyna_where disagrees with the queue")
    priority = dyna.priority[queued]
    check(bool(np.all(np.isfinite(priority) & (priority > 0))), "dyna_priority out of range")
    parents = priority[(np.arange(1, size) - 1) // 2]
    check(bool(np.all(parents >= priority[1:])), "dyna_queue is not a heap")
    taken = {(int(s), int(a)) for s in seen for a in dyna.actions[s, : dyna.actions[s, -1]]}
    check(all(divmod(int(p), n_actions) in taken for p in queued), "a queued pair never taken")


#: The record's fields before version 2 (the learner and its planning count came with it).
_RECORD_BEFORE_2 = kernel.R_LEARNER


def _record(archive: Archive, version: int, config: TrainConfig) -> np.ndarray:
    """The last step's record; a version 1 record gains the learner (the config's) and no
    planning."""
    if version >= 2:
        return archive.read("record", (kernel.N_RECORD,))
    old = archive.read("record", (_RECORD_BEFORE_2,))
    known = not np.all(np.isnan(old))
    tail = [kernel.LEARNERS.index(config.learner), 0] if known else [np.nan, np.nan]
    return np.concatenate([old, tail])

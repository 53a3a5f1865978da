"""Save and load a training session as ``.npz`` without pickle.

Everything a session needs to continue exactly (Q-tables, counters, the generator's state, the
schedules, the history) is stored as plain numeric arrays plus one JSON header held in a unicode
array, so loading uses ``allow_pickle=False``. Writes go to a temporary file in the target's folder
and are renamed over it, so a failed save never leaves a half-written or clobbered file.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from tui_taxi.core import learners as K
from tui_taxi.core.envs import EnvError, compile_env, normalize_kwargs
from tui_taxi.core.history import History
from tui_taxi.core.schedules import Schedule
from tui_taxi.core.session import ConfigError, Session, TrainConfig

FORMAT = "tui-taxi-session"
VERSION = 1
_UMASK = os.umask(0o022)  # read once at import (setting it back at once): files get 0o666 & ~umask
os.umask(_UMASK)


class SessionFileError(ValueError):
    """A session file that cannot be written or read; the message is one line for people."""


def save_session(session: Session, path: str | os.PathLike) -> Path:
    """Write ``session`` to ``path`` atomically and return the path."""
    path = Path(path)
    config = session.config
    header = {
        "format": FORMAT,
        "version": VERSION,
        "env_id": config.env_id,
        "env_kwargs": [list(item) for item in config.env_kwargs],
        "learner": config.learner,
        "gamma": config.gamma,
        "max_steps": config.max_steps,
        "seed": config.seed,
    }
    arrays = {
        "header": np.array(json.dumps(header)),
        "alpha": config.alpha.as_array(),
        "epsilon": config.epsilon.as_array(),
        "q_a": session.q_a,
        "q_b": session.q_b,
        "cursor": session.cursor,
        "fcursor": session.fcursor,
        "rng": session.rng,
        "record": session.record,
        **session.history.to_arrays(),
    }
    folder = check_save_target(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise SessionFileError(f"cannot save to {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp made it private; a save is an ordinary file
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise SessionFileError(f"cannot save to {path}: {exc.strerror or exc}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def check_save_target(path: str | os.PathLike) -> Path:
    """The folder a save to ``path`` would write into; raises SessionFileError (before any
    work is done, if called early) when the file could not be written there."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise SessionFileError(f"cannot save to {path}: folder {folder} does not exist")
    if path.is_dir():
        raise SessionFileError(f"cannot save to {path}: it is a folder")
    return folder


def load_session(path: str | os.PathLike) -> Session:
    """Read a session written by :func:`save_session`, validating everything it contains."""
    path = Path(path)
    if path.is_dir():
        raise SessionFileError(f"{path}: is a folder, not a session file")
    if not path.is_file():
        raise SessionFileError(f"{path}: no such file")
    try:
        with path.open("rb") as f:
            magic = f.read(4)
    except OSError as exc:
        raise SessionFileError(f"{path}: cannot read ({exc.strerror})") from None
    if magic[:1] == b"\x80":
        raise SessionFileError(f"{path}: contains pickled data, which is never loaded")
    if magic != b"PK\x03\x04":
        raise SessionFileError(f"{path}: not a tui-taxi session file (not an .npz archive)")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except ValueError as exc:
        if "pickle" in str(exc):
            raise SessionFileError(
                f"{path}: contains pickled data, which is never loaded"
            ) from None
        raise SessionFileError(f"{path}: not a tui-taxi session file ({exc})") from None
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise SessionFileError(
            f"{path}: not a tui-taxi session file (corrupt or truncated: {exc})"
        ) from None
    if not isinstance(arrays, dict) or "header" not in arrays:
        raise SessionFileError(f"{path}: not a tui-taxi session file (no header)")
    try:
        return _session_from_arrays(arrays)
    except (EnvError, ConfigError) as exc:
        raise SessionFileError(f"{path}: {exc}") from None
    except (KeyError, ValueError, TypeError, IndexError) as exc:
        raise SessionFileError(f"{path}: invalid session file ({_describe(exc)})") from None


def _describe(exc: Exception) -> str:
    return f"missing array {exc}" if isinstance(exc, KeyError) else str(exc)


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _array(arrays, name: str, dtype, shape: tuple[int, ...] | None = None) -> np.ndarray:
    arr = arrays[name]
    _check(arr.dtype == dtype, f"{name} has dtype {arr.dtype}, expected {np.dtype(dtype)}")
    if shape is not None:
        _check(arr.shape == shape, f"{name} has shape {arr.shape}, expected {shape}")
    if arr.dtype.kind == "f" and name != "record":
        _check(bool(np.all(np.isfinite(arr))), f"{name} contains NaN or infinite values")
    return np.array(arr)  # a writable, owned copy


def _session_from_arrays(arrays) -> Session:
    header = json.loads(str(arrays["header"][()]))
    _check(isinstance(header, dict) and header.get("format") == FORMAT, "not a tui-taxi session")
    _check(header.get("version") == VERSION, f"unsupported version {header.get('version')}")
    config = TrainConfig(
        env_id=header["env_id"],
        env_kwargs=normalize_kwargs([tuple(item) for item in header["env_kwargs"]]),
        learner=header["learner"],
        alpha=Schedule.from_array(_array(arrays, "alpha", np.float64, (4,))),
        gamma=header["gamma"],
        epsilon=Schedule.from_array(_array(arrays, "epsilon", np.float64, (4,))),
        max_steps=header["max_steps"],
        seed=header["seed"],
    )
    model = compile_env(config.env_id, config.env_kwargs)
    shape = (model.n_states, model.n_actions)
    q_a = _array(arrays, "q_a", np.float64, shape)
    q_b = _array(arrays, "q_b", np.float64, shape) if config.learner == "double-q" else None
    cursor = _array(arrays, "cursor", np.int64, (K.N_CURSOR,))
    _check(
        0 <= cursor[K.C_STATE] < model.n_states, f"current state {cursor[K.C_STATE]} out of range"
    )
    _check(
        0 <= cursor[K.C_ACTION] < model.n_actions,
        f"pending action {cursor[K.C_ACTION]} out of range",
    )
    _check(bool(np.all(cursor[K.C_T :] >= 0)), "negative counters")
    rng = _array(arrays, "rng", np.uint64, (4,))
    _check(bool(np.any(rng != 0)), "generator state is all zero")
    history = History.from_arrays(
        _array(arrays, "history_sums", np.float64),
        _array(arrays, "history_meta", np.int64, (5,)),
        _array(arrays, "history_recent", np.float64),
    )
    session = Session(
        config,
        model=model,
        q_a=q_a,
        q_b=q_b,
        cursor=cursor,
        fcursor=_array(arrays, "fcursor", np.float64, (K.N_FCURSOR,)),
        rng=rng,
        history=history,
    )
    session.record[:] = _array(arrays, "record", np.float64, (K.N_RECORD,))
    return session

"""Save and load a training session as ``.npz`` without pickle.

Everything a session needs to continue exactly (Q-tables, counters, the generator's state, the
schedules, the history) is stored as plain numeric arrays plus one JSON header held in a unicode
array. Writes go to a temporary file in the target's folder and are renamed over it, so a failed
save never leaves a half-written or clobbered file.

Loading trusts nothing: the archive is read member by member with :mod:`zipfile`, unknown members
are refused, and each member's declared size is bounded by what the session can need *before*
it is decompressed; each ``.npy`` header is parsed (never unpickled) and its dtype and shape
checked before its data is read; then every value is checked against what training could have
produced. Every refusal is a :class:`SessionFileError` of one line naming the file.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import stat
import struct
import tempfile
import time
import zipfile
import zlib
from pathlib import Path

import numpy as np

from tui_taxi.core import learners as K
from tui_taxi.core.envs import CompiledEnv, EnvError, compile_env, normalize_kwargs
from tui_taxi.core.history import COLUMNS, RECENT, History
from tui_taxi.core.schedules import Schedule, ScheduleError
from tui_taxi.core.session import ConfigError, Session, TrainConfig

FORMAT = "tui-taxi-session"
VERSION = 1
_UMASK = os.umask(0o022)  # read once at import (setting it back at once): files get 0o666 & ~umask
os.umask(_UMASK)

#: The header's fields and what each must be (bool is not a number here).
HEADER_FIELDS = (
    "format",
    "version",
    "env_id",
    "env_kwargs",
    "learner",
    "gamma",
    "max_steps",
    "seed",
)
MAX_HEADER_CHARS = 1 << 14
#: Members of a session archive (``name.npy``) and their dtypes.
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
    "history_sums": np.float64,
    "history_meta": np.int64,
    "history_recent": np.float64,
}
#: An .npy member's bytes beyond its data: magic, version, header length, header (numpy reads
#: at most 10,000 header bytes).
_NPY_OVERHEAD = 16 + 10_000
#: Q-values beyond this are refused, so that Q_A + Q_B stays finite.
MAX_ABS_Q = 1e300

# Temporary files: ".<name>.pid<PID>.<random>.tmp". One whose writer is gone is removed by the
# next save to the same folder, but only when its PID is not a live process on this machine *and*
# it has not been written to for STALE_SECONDS (a save in progress by another live process, or by
# another machine on a shared folder, is never touched).
_TMP_NAME = re.compile(r"\..*\.pid(\d+)\.[a-z0-9_]{8}\.tmp")
STALE_SECONDS = 60.0


class SessionFileError(ValueError):
    """A session file that cannot be written or read; the message is one line for people."""


class _Invalid(Exception):
    """A value in the file that training could not have produced."""


# -- saving -------------------------------------------------------------------------------------
def save_session(session: Session, path: str | os.PathLike) -> Path:
    """Write ``session`` to ``path`` atomically and return the path. Every failure, including
    any OSError, is a SessionFileError; the old file at ``path``, if any, is then untouched."""
    folder, path = _check_target(path)
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
    return write_archive(folder, path, arrays)


def write_archive(folder: Path, path: Path, arrays: dict[str, np.ndarray]) -> Path:
    """Write ``arrays`` as an .npz at ``path`` atomically (a temporary file in ``folder``,
    fsynced, renamed over it); on failure the old file is untouched."""
    remove_stale_temp_files(folder)
    fd, tmp = _make_temp(folder, path)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp made it private; a save is an ordinary file
        os.replace(tmp, path)
    except OSError as exc:
        _discard(tmp)
        raise SessionFileError(f"cannot save to {_shown(path)}: {exc.strerror or exc}") from None
    except BaseException:
        _discard(tmp)
        raise
    return path


def check_save_target(path: str | os.PathLike) -> Path:
    """The folder a save to ``path`` would write into. Raises SessionFileError, before any work
    is done, when the file could not be written there: an empty name, a name ending in ``/``, a
    name too long for the folder, a folder that does not exist or cannot be written (tried with
    a temporary file), or a path that is a folder or not a regular file."""
    folder, path = _check_target(path)
    fd, tmp = _make_temp(folder, path)
    os.close(fd)
    _discard(tmp)
    return folder


def _discard(tmp: str) -> None:
    """Remove our temporary file; if that fails, a later save removes it (it carries our PID)."""
    with contextlib.suppress(OSError):
        os.unlink(tmp)


def _check_target(path: str | os.PathLike) -> tuple[Path, Path]:
    raw = os.fspath(path)
    if not isinstance(raw, str):
        raise SessionFileError(f"cannot save to {raw!r}: give the file name as text")
    if not raw:
        raise SessionFileError("cannot save to '': the file name is empty")
    if "\0" in raw:
        raise SessionFileError(f"cannot save to {raw!r}: the file name contains a NUL byte")
    if raw.endswith(("/", os.sep)) or (os.altsep and raw.endswith(os.altsep)):
        raise SessionFileError(
            f"cannot save to {_shown(raw)}: it names a folder; add a file name, "
            f"e.g. {_shown(raw)}run.npz"
        )
    path = Path(raw)
    if path.name in ("", ".", ".."):
        raise SessionFileError(f"cannot save to {_shown(raw)}: it is a folder")
    folder = path.parent
    limit = _name_max(folder)
    size = len(os.fsencode(path.name))
    if size > limit:
        raise SessionFileError(
            f"cannot save to {_shown(raw)}: the file name is {size} bytes long, "
            f"at most {limit} allowed"
        )
    folder_stat = _stat(folder, raw)
    if folder_stat is None:
        raise SessionFileError(f"cannot save to {_shown(raw)}: folder {folder} does not exist")
    if not stat.S_ISDIR(folder_stat.st_mode):
        raise SessionFileError(f"cannot save to {_shown(raw)}: {folder} is not a folder")
    target_stat = _stat(path, raw)
    if target_stat is not None and stat.S_ISDIR(target_stat.st_mode):
        raise SessionFileError(f"cannot save to {_shown(raw)}: it is a folder")
    if target_stat is not None and not stat.S_ISREG(target_stat.st_mode):
        raise SessionFileError(f"cannot save to {_shown(raw)}: it exists and is not a file")
    return folder, path


def _stat(path: Path, raw: str) -> os.stat_result | None:
    try:
        return path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise SessionFileError(f"cannot save to {_shown(raw)}: {exc.strerror or exc}") from None


def _name_max(folder: Path) -> int:
    try:
        return os.pathconf(folder if str(folder) else ".", "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):  # no such folder (reported next) or no pathconf
        return 255


def _make_temp(folder: Path, path: Path) -> tuple[int, str]:
    prefix = f".{path.name[:40]}.pid{os.getpid()}."
    try:
        return tempfile.mkstemp(dir=folder, prefix=prefix, suffix=".tmp")
    except OSError as exc:
        raise SessionFileError(
            f"cannot save to {_shown(path)}: folder {folder} is not writable "
            f"({exc.strerror or exc})"
        ) from None


def remove_stale_temp_files(folder: str | os.PathLike) -> list[Path]:
    """Remove temporary files left in ``folder`` by saves that were killed mid-write: only
    ours (by name), only regular files, only when the writer's PID is not a live process and
    the file has not changed for :data:`STALE_SECONDS`. Returns what was removed."""
    now = time.time()
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:  # the save itself reports an unusable folder
        return removed
    for entry in entries:
        match = _TMP_NAME.fullmatch(entry.name)
        if not match:
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:  # removed meanwhile by another save
            continue
        if (
            stat.S_ISREG(info.st_mode)
            and now - info.st_mtime >= STALE_SECONDS
            and not _pid_alive(int(match.group(1)))
        ):
            try:
                os.unlink(entry.path)
            except OSError:  # removed meanwhile, or not ours to remove: leave it
                continue
            removed.append(Path(entry.path))
    return removed


def _pid_alive(pid: int) -> bool:
    if os.name != "posix" or pid <= 0:  # os.kill(pid, 0) only probes on POSIX
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: alive, another user's
        return True
    return True


def _shown(path: str | os.PathLike) -> str:
    """A path for a one-line message (very long names shortened in the middle)."""
    text = os.fspath(path)
    return text if len(text) <= 100 else f"{text[:60]}...{text[-30:]}"


# -- loading ------------------------------------------------------------------------------------
def load_session(path: str | os.PathLike) -> Session:
    """Read a session written by :func:`save_session`, validating everything it contains."""
    return read_archive(path, MEMBERS, _session_from_archive)


def read_archive(path: str | os.PathLike, members: dict, build):
    """``build(archive)`` on the .npz at ``path``, read member by member with every check of
    this module (``members``: the names and dtypes it may hold); any refusal or failure is a
    one-line :class:`SessionFileError` naming the file."""
    path = Path(path)
    try:
        if path.is_dir():
            raise SessionFileError(f"{path}: is a folder, not a tui-taxi save")
        if not path.exists():
            raise SessionFileError(f"{path}: no such file")
        if not path.is_file():  # a device or a pipe (which would block)
            raise SessionFileError(f"{path}: not a regular file")
        with path.open("rb") as f:
            magic = f.read(4)
            if magic[:1] == b"\x80":
                raise SessionFileError(f"{path}: contains pickled data, which is never loaded")
            if magic != b"PK\x03\x04":
                raise SessionFileError(f"{path}: not a tui-taxi save (not an .npz archive)")
            _check_directory(f, members)
            with zipfile.ZipFile(f) as archive:
                return build(_Archive(archive, members))
    except _Pickled as exc:
        raise SessionFileError(
            f"{path}: {exc} contains pickled data, which is never loaded"
        ) from None
    except (EnvError, ConfigError, ScheduleError) as exc:
        raise SessionFileError(f"{path}: {exc}") from None
    except _Invalid as exc:
        raise SessionFileError(f"{path}: invalid tui-taxi save ({exc})") from None
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise SessionFileError(
            f"{path}: not a tui-taxi save (corrupt or truncated: {_one_line(exc)})"
        ) from None
    except OSError as exc:
        raise SessionFileError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except SessionFileError:
        raise
    except (ValueError, TypeError, KeyError, IndexError) as exc:  # a check this module lacks
        raise SessionFileError(
            f"{path}: invalid tui-taxi save ({type(exc).__name__}: {_one_line(exc)})"
        ) from None


class _Pickled(Exception):
    """A member holding Python objects (its name is the message)."""


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise _Invalid(message)


def _check_directory(f, members: dict) -> None:
    """Before zipfile reads the central directory: it lists no more entries than a session
    has, and it is not a ZIP64 one (a session never needs it)."""
    size = f.seek(0, os.SEEK_END)
    tail_size = min(size, 22 + 0xFFFF)  # the end record and the longest comment
    f.seek(size - tail_size)
    tail = f.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        raise zipfile.BadZipFile("no end of central directory")
    entries, directory_size = struct.unpack_from("<HI", tail, at + 10)
    _check(
        entries <= len(members),
        f"the archive lists {entries} members, a session has {len(members)}",
    )
    _check(directory_size <= len(members) * 1024, "the archive's directory is too large")
    _check(tail[max(0, at - 20) : at][:4] != b"PK\x06\x07", "a ZIP64 archive is not a session")


class _Archive:
    """An open session archive: members read one by one, each bounded before it inflates."""

    def __init__(self, archive: zipfile.ZipFile, members: dict) -> None:
        self.archive = archive
        self.members = members
        self.infos: dict[str, zipfile.ZipInfo] = {}
        for info in archive.infolist():
            name = info.filename.removesuffix(".npy")
            _check(
                info.filename.endswith(".npy") and name in members,
                f"unexpected member {info.filename!r}",
            )
            _check(name not in self.infos, f"member {info.filename!r} appears twice")
            _check(not info.flag_bits & 0x1, f"member {info.filename!r} is encrypted")
            _check(
                info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED),
                f"member {info.filename!r} uses an unsupported compression",
            )
            self.infos[name] = info
        if "header" not in self.infos:
            raise _Invalid("not a tui-taxi save (no header)")

    def read(
        self,
        name: str,
        shape: tuple[int, ...],
        *,
        itemsize: int | None = None,
        rows: int | None = None,
    ) -> np.ndarray:
        """The member ``name`` with exactly ``shape`` (its first dimension anywhere up to
        ``rows`` when ``rows`` is given), as a writable array of its dtype."""
        info = self.infos.get(name)
        _check(info is not None, f"missing array {name!r}")
        itemsize = itemsize or np.dtype(self.members[name]).itemsize
        bound = math.prod((rows, *shape[1:]) if rows is not None else shape) * itemsize
        _check(
            info.file_size <= bound + _NPY_OVERHEAD,
            f"{name} declares {info.file_size:,} bytes, at most {bound + _NPY_OVERHEAD:,} expected",
        )
        with self.archive.open(info) as member:
            f = _Bounded(member, info.file_size)
            found_shape, fortran, dtype = _npy_header(f, name)
            if dtype.hasobject:
                raise _Pickled(name)
            expected = np.dtype(self.members[name]) if self.members[name] is not None else None
            if expected is not None:
                _check(dtype == expected, f"{name} has dtype {dtype}, expected {expected}")
            else:
                _check(dtype.itemsize <= itemsize, f"{name} is longer than {itemsize:,} bytes")
            if rows is not None:
                ok = (
                    len(found_shape) == len(shape)
                    and found_shape[1:] == shape[1:]
                    and 0 <= found_shape[0] <= rows
                )
                _check(
                    ok,
                    f"{name} has shape {found_shape}, expected (k, "
                    f"{', '.join(map(str, shape[1:]))}) with k <= {rows}",
                )
            else:
                _check(found_shape == shape, f"{name} has shape {found_shape}, expected {shape}")
            nbytes = math.prod(found_shape) * dtype.itemsize
            data = f.read(nbytes)
            _check(len(data) == nbytes, f"{name} is truncated")
            _check(f.read(1) == b"", f"{name} has data beyond its array")
        flat = np.frombuffer(data, dtype=dtype)
        if fortran:
            return flat.reshape(found_shape[::-1]).T.copy()
        return flat.reshape(found_shape).copy()


class _Bounded:
    """A member read in slices of at most 1 MiB and never past its declared size: zipfile
    inflates as much as one read asks for, so one huge read of a small, highly compressed
    member could otherwise allocate gigabytes before the size is enforced."""

    CHUNK = 1 << 20

    def __init__(self, member, size: int) -> None:
        self.member = member
        self.left = size

    def read(self, n: int = -1) -> bytes:
        n = self.left if n is None or n < 0 else min(n, self.left)
        parts = []
        while n > 0:
            part = self.member.read(min(n, self.CHUNK))
            if not part:
                break
            parts.append(part)
            n -= len(part)
            self.left -= len(part)
        return b"".join(parts)  # zipfile checks the CRC when the member's last byte is read


def _npy_header(f, name: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    fmt = np.lib.format
    try:
        version = fmt.read_magic(f)
        if version == (1, 0):
            return fmt.read_array_header_1_0(f)
        if version == (2, 0):
            return fmt.read_array_header_2_0(f)
    except ValueError as exc:
        raise _Invalid(f"{name} is not a valid .npy array ({_one_line(exc)})") from None
    raise _Invalid(f"{name} uses .npy format version {version}, expected 1.0 or 2.0")


def _session_from_archive(archive: _Archive) -> Session:
    config = _config(archive)
    model = compile_env(config.env_id, config.env_kwargs)
    shape = (model.n_states, model.n_actions)
    q_a = _table(archive, "q_a", shape)
    q_b = _table(archive, "q_b", shape)  # written for every learner: the same table but Double Q
    cursor = archive.read("cursor", (K.N_CURSOR,))
    fcursor = _finite(archive.read("fcursor", (K.N_FCURSOR,)), "fcursor")
    rng = archive.read("rng", (4,))
    _check(bool(np.any(rng != 0)), "generator state is all zero")
    history = read_history(archive)
    record = archive.read("record", (K.N_RECORD,))
    _check_cursor(cursor, fcursor, model, config, history)
    _check_record(record, cursor, model)
    session = Session(
        config,
        model=model,
        q_a=q_a,
        q_b=q_b if config.learner == "double-q" else None,
        cursor=cursor,
        fcursor=fcursor,
        rng=rng,
        history=history,
    )
    session.record[:] = record
    return session


def read_history(archive: _Archive, prefix: str = "history") -> History:
    """A :class:`History` saved as ``{prefix}_sums``, ``_meta`` and ``_recent``, checked."""
    meta = archive.read(f"{prefix}_meta", (5,))
    try:
        _, _, n_bins, _, episodes = History.check_meta(meta)
        return History.from_arrays(
            archive.read(f"{prefix}_sums", (n_bins, len(COLUMNS))),
            meta,
            archive.read(f"{prefix}_recent", (RECENT, 2), rows=min(RECENT, episodes)),
        )
    except ValueError as exc:
        raise _Invalid(str(exc)) from None


def read_header(archive: _Archive, formats: tuple[str, ...]) -> dict:
    """The archive's JSON header, whose format is one of ``formats``."""
    raw = archive.read("header", (), itemsize=4 * MAX_HEADER_CHARS)
    _check(raw.dtype.kind == "U", f"header has dtype {raw.dtype}, expected text")
    try:
        header = json.loads(str(raw[()]))
    except (ValueError, RecursionError):
        raise _Invalid("not a tui-taxi save (its header is not JSON)") from None
    _check(
        isinstance(header, dict) and header.get("format") in formats,
        "not a tui-taxi save (wrong header)",
    )
    return header


def _config(archive: _Archive) -> TrainConfig:
    header = read_header(archive, (FORMAT,))
    version = header.get("version")
    _check(type(version) is int and version == VERSION, f"unsupported version {version!r}")
    missing = [name for name in HEADER_FIELDS if name not in header]
    _check(not missing, f"header lacks {', '.join(missing)}")
    unknown = sorted(set(header) - set(HEADER_FIELDS))
    _check(not unknown, f"header has unknown fields {', '.join(map(repr, unknown))}")
    _check(isinstance(header["env_id"], str), f"env_id must be text, got {header['env_id']!r}")
    _check(isinstance(header["learner"], str), f"learner must be text, got {header['learner']!r}")
    gamma, seed, max_steps = header["gamma"], header["seed"], header["max_steps"]
    _check(type(gamma) in (int, float), f"gamma must be a number, got {gamma!r}")
    _check(type(seed) is int, f"seed must be a whole number, got {seed!r}")
    _check(
        max_steps is None or type(max_steps) is int,
        f"max_steps must be a whole number or null, got {max_steps!r}",
    )
    return TrainConfig(
        env_id=header["env_id"],
        env_kwargs=_env_kwargs(header["env_kwargs"]),
        learner=header["learner"],
        alpha=_schedule(archive, "alpha"),
        gamma=gamma,
        epsilon=_schedule(archive, "epsilon"),
        max_steps=max_steps,
        seed=seed,
    )


def _env_kwargs(items) -> tuple:
    message = f"env_kwargs must be a list of [name, value] pairs, got {items!r}"[:200]
    _check(isinstance(items, list), message)
    for item in items:
        _check(isinstance(item, list) and len(item) == 2 and isinstance(item[0], str), message)
        value = item[1]
        _check(
            value is None or type(value) in (bool, int, float, str),
            f"env keyword argument {item[0]!r} must be a plain value, got {value!r}"[:200],
        )
    names = [item[0] for item in items]
    _check(len(set(names)) == len(names), f"env keyword arguments repeat: {names}")
    return normalize_kwargs([tuple(item) for item in items])


def _schedule(archive: _Archive, name: str) -> Schedule:
    return Schedule.from_array(_finite(archive.read(name, (4,)), name))


def _finite(arr: np.ndarray, name: str) -> np.ndarray:
    _check(bool(np.all(np.isfinite(arr))), f"{name} contains NaN or infinite values")
    return arr


def _table(archive: _Archive, name: str, shape: tuple[int, int]) -> np.ndarray:
    q = _finite(archive.read(name, shape), name)
    _check(bool(np.all(np.abs(q) <= MAX_ABS_Q)), f"{name} has values beyond +-{MAX_ABS_Q:g}")
    return q


def _check_cursor(cursor, fcursor, model: CompiledEnv, config: TrainConfig, history) -> None:
    """The counters as the kernel leaves them between calls."""
    state, action, pending, explored, t, episode, total, penalties = (
        int(cursor[i])
        for i in (
            K.C_STATE,
            K.C_ACTION,
            K.C_PENDING,
            K.C_PENDING_EXPLORED,
            K.C_T,
            K.C_EPISODE,
            K.C_TOTAL,
            K.C_PENALTIES,
        )
    )
    _check(
        0 <= state < model.n_states, f"current state {state} out of range 0-{model.n_states - 1}"
    )
    _check(
        0 <= action < model.n_actions,
        f"pending action {action} out of range 0-{model.n_actions - 1}",
    )
    _check(pending in (0, 1), f"pending flag is {pending}, expected 0 or 1")
    _check(explored in (0, 1), f"pending-explored flag is {explored}, expected 0 or 1")
    _check(min(t, episode, total, penalties) >= 0, "negative counters")
    limit = config.time_limit(model)
    _check(limit == 0 or t < limit, f"step {t} of the episode is not below the time limit {limit}")
    _check(episode + t <= total, f"{episode} episodes and {t} steps need more than {total} steps")
    _check(penalties <= t, f"{penalties} penalties in {t} steps")
    _check(t > 0 or fcursor[K.F_RETURN] == 0.0, "an episode with no steps has a return")
    _check(
        history.episodes == episode,
        f"history covers {history.episodes} episodes, the counters {episode}",
    )


def _check_record(record, cursor, model: CompiledEnv) -> None:
    """The last step: all NaN (none yet) or a transition the env can make, ending where the
    counters say."""
    if np.all(np.isnan(record)):
        return
    _finite(record, "record")
    whole = (
        K.R_STATE,
        K.R_ACTION,
        K.R_NEXT_STATE,
        K.R_TERMINATED,
        K.R_TRUNCATED,
        K.R_EXPLORED,
        K.R_TABLE,
        K.R_EPISODE,
        K.R_T,
    )
    _check(all(float(record[i]).is_integer() for i in whole), "record has fractional counters")
    s, a, s_next = (int(record[i]) for i in (K.R_STATE, K.R_ACTION, K.R_NEXT_STATE))
    _check(
        0 <= s < model.n_states and 0 <= s_next < model.n_states,
        f"record's states {s} -> {s_next} out of range 0-{model.n_states - 1}",
    )
    _check(0 <= a < model.n_actions, f"record's action {a} out of range 0-{model.n_actions - 1}")
    flags = (K.R_TERMINATED, K.R_TRUNCATED, K.R_EXPLORED, K.R_TABLE)
    _check(all(record[i] in (0.0, 1.0) for i in flags), "record's flags must be 0 or 1")
    terminated, truncated = bool(record[K.R_TERMINATED]), bool(record[K.R_TRUNCATED])
    _check(not (terminated and truncated), "record is both terminated and truncated")
    for i, name in ((K.R_EPSILON, "epsilon"), (K.R_ALPHA, "alpha"), (K.R_GAMMA, "gamma")):
        _check(0.0 <= record[i] <= 1.0, f"record's {name} {record[i]:g} is outside [0, 1]")
    n = model.n_outcomes[s, a]
    possible = (
        (model.next_state[s, a, :n] == s_next)
        & (model.reward[s, a, :n] == record[K.R_REWARD])
        & (model.terminated[s, a, :n] == terminated)
    )
    _check(bool(possible.any()), f"record's step {s} -{a}-> {s_next} is not one the env makes")
    episode, t = int(record[K.R_EPISODE]), int(record[K.R_T])
    if terminated or truncated:  # the episode ended: the counters start the next one
        ok = cursor[K.C_T] == 0 and episode == cursor[K.C_EPISODE] - 1 and t >= 1
    else:  # the episode goes on from there, unless Session.new_episode abandoned it
        goes_on = t == cursor[K.C_T] and s_next == cursor[K.C_STATE]
        ok = episode == cursor[K.C_EPISODE] and t >= 1 and (goes_on or cursor[K.C_T] == 0)
    _check(ok, f"record's step {t} of episode {episode} does not match the counters")

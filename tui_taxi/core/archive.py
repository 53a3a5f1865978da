"""The ``.npz`` archive every tui-taxi save is: an atomic write, and a read that trusts nothing.

A save is plain numeric arrays plus one JSON header held in a unicode array (its ``format``
names the kind of agent, see :mod:`tui_taxi.core.agent`). Writes go to a temporary file in the
target's folder, fsynced and renamed over it, so a failed save never leaves a half-written or
clobbered file.

Reading trusts nothing: the archive is read member by member with :mod:`zipfile`, unknown members
are refused, and each member's declared size is bounded by what the agent can need *before*
it is decompressed; each ``.npy`` header is parsed (never unpickled) and its dtype and shape
checked before its data is read; then each kind checks every value against what training could
have produced (:func:`check`). Every refusal is a :class:`SaveFileError` of one line naming the
file.
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

from tui_taxi.core.envs import normalize_kwargs
from tui_taxi.core.episodes import COLUMNS, RECENT, History
from tui_taxi.core.errors import ConfigError, EnvError, SaveFileError
from tui_taxi.core.schedules import ScheduleError

_UMASK = os.umask(0o022)  # read once at import (setting it back at once): files get 0o666 & ~umask
os.umask(_UMASK)

MAX_HEADER_CHARS = 1 << 14
#: Archives whose header is read alone (to learn their format) list at most this many members.
MAX_MEMBERS = 64
#: An .npy member's bytes beyond its data: magic, version, header length, header (numpy reads
#: at most 10,000 header bytes).
_NPY_OVERHEAD = 16 + 10_000
# Temporary files: ".<name>.pid<PID>.<random>.tmp". One whose writer is gone is removed by the
# next save to the same folder, but only when its PID is not a live process on this machine *and*
# it has not been written to for STALE_SECONDS (a save in progress by another live process, or by
# another machine on a shared folder, is never touched).
_TMP_NAME = re.compile(r"\..*\.pid(\d+)\.[a-z0-9_]{8}\.tmp")
STALE_SECONDS = 60.0


class Invalid(Exception):
    """A value in the file that training could not have produced."""


# -- saving ------------------------------------------------------------------------------------
def write_archive(path: str | os.PathLike, arrays: dict[str, np.ndarray]) -> Path:
    """Write ``arrays`` as an .npz at ``path`` atomically (a temporary file in its folder,
    fsynced, renamed over it) and return the path. Every failure, including any OSError, is a
    SaveFileError; the old file at ``path``, if any, is then untouched."""
    folder, path = _check_target(path)
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
        raise SaveFileError(f"cannot save to {_shown(path)}: {exc.strerror or exc}") from None
    except BaseException:
        _discard(tmp)
        raise
    return path


def check_save_target(path: str | os.PathLike) -> Path:
    """The folder a save to ``path`` would write into. Raises SaveFileError, before any work
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
        raise SaveFileError(f"cannot save to {raw!r}: give the file name as text")
    if not raw:
        raise SaveFileError("cannot save to '': the file name is empty")
    if "\0" in raw:
        raise SaveFileError(f"cannot save to {raw!r}: the file name contains a NUL byte")
    if raw.endswith(("/", os.sep)) or (os.altsep and raw.endswith(os.altsep)):
        raise SaveFileError(
            f"cannot save to {_shown(raw)}: it names a folder; add a file name, "
            f"e.g. {_shown(raw)}run.npz"
        )
    path = Path(raw)
    if path.name in ("", ".", ".."):
        raise SaveFileError(f"cannot save to {_shown(raw)}: it is a folder")
    folder = path.parent
    limit = _name_max(folder)
    size = len(os.fsencode(path.name))
    if size > limit:
        raise SaveFileError(
            f"cannot save to {_shown(raw)}: the file name is {size} bytes long, "
            f"at most {limit} allowed"
        )
    folder_stat = _stat(folder, raw)
    if folder_stat is None:
        raise SaveFileError(f"cannot save to {_shown(raw)}: folder {folder} does not exist")
    if not stat.S_ISDIR(folder_stat.st_mode):
        raise SaveFileError(f"cannot save to {_shown(raw)}: {folder} is not a folder")
    target_stat = _stat(path, raw)
    if target_stat is not None and stat.S_ISDIR(target_stat.st_mode):
        raise SaveFileError(f"cannot save to {_shown(raw)}: it is a folder")
    if target_stat is not None and not stat.S_ISREG(target_stat.st_mode):
        raise SaveFileError(f"cannot save to {_shown(raw)}: it exists and is not a file")
    return folder, path


def _stat(path: Path, raw: str) -> os.stat_result | None:
    try:
        return path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise SaveFileError(f"cannot save to {_shown(raw)}: {exc.strerror or exc}") from None


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
        raise SaveFileError(
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
def read_archive(path: str | os.PathLike, members: dict | None, build):
    """``build(archive)`` on the .npz at ``path``, read member by member with every check of
    this module (``members``: the names and dtypes it may hold; None: any names, for reading
    the header alone); any refusal or failure is a one-line :class:`SaveFileError` naming the
    file."""
    path = Path(path)
    try:
        if path.is_dir():
            raise SaveFileError(f"{path}: is a folder, not a tui-taxi save")
        if not path.exists():
            raise SaveFileError(f"{path}: no such file")
        if not path.is_file():  # a device or a pipe (which would block)
            raise SaveFileError(f"{path}: not a regular file")
        with path.open("rb") as f:
            magic = f.read(4)
            if magic[:1] == b"\x80":
                raise SaveFileError(f"{path}: contains pickled data, which is never loaded")
            if magic != b"PK\x03\x04":
                raise SaveFileError(f"{path}: not a tui-taxi save (not an .npz archive)")
            _check_directory(f, members)
            with zipfile.ZipFile(f) as archive:
                return build(Archive(archive, members))
    except _Pickled as exc:
        raise SaveFileError(f"{path}: {exc} contains pickled data, which is never loaded") from None
    except (EnvError, ConfigError, ScheduleError) as exc:
        raise SaveFileError(f"{path}: {exc}") from None
    except Invalid as exc:
        raise SaveFileError(f"{path}: invalid tui-taxi save ({exc})") from None
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise SaveFileError(
            f"{path}: not a tui-taxi save (corrupt or truncated: {_one_line(exc)})"
        ) from None
    except OSError as exc:
        raise SaveFileError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except SaveFileError:
        raise
    except (ValueError, TypeError, KeyError, IndexError) as exc:  # a check this module lacks
        raise SaveFileError(
            f"{path}: invalid tui-taxi save ({type(exc).__name__}: {_one_line(exc)})"
        ) from None


class _Pickled(Exception):
    """A member holding Python objects (its name is the message)."""


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def check(condition: bool, message: str) -> None:
    if not condition:
        raise Invalid(message)


def _check_directory(f, members: dict | None) -> None:
    """Before zipfile reads the central directory: it lists no more entries than a save has,
    and it is not a ZIP64 one (a save never needs it)."""
    most = MAX_MEMBERS if members is None else len(members)
    size = f.seek(0, os.SEEK_END)
    tail_size = min(size, 22 + 0xFFFF)  # the end record and the longest comment
    f.seek(size - tail_size)
    tail = f.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        raise zipfile.BadZipFile("no end of central directory")
    entries, directory_size = struct.unpack_from("<HI", tail, at + 10)
    check(entries <= most, f"the archive lists {entries} members, a save has at most {most}")
    check(directory_size <= most * 1024, "the archive's directory is too large")
    check(tail[max(0, at - 20) : at][:4] != b"PK\x06\x07", "a ZIP64 archive is not a save")


class Archive:
    """An open save: members read one by one, each bounded before it inflates."""

    def __init__(self, archive: zipfile.ZipFile, members: dict | None) -> None:
        self.archive = archive
        self.members = members
        self.infos: dict[str, zipfile.ZipInfo] = {}
        for info in archive.infolist():
            name = info.filename.removesuffix(".npy")
            check(
                info.filename.endswith(".npy") and (members is None or name in members),
                f"unexpected member {info.filename!r}",
            )
            check(name not in self.infos, f"member {info.filename!r} appears twice")
            check(not info.flag_bits & 0x1, f"member {info.filename!r} is encrypted")
            check(
                info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED),
                f"member {info.filename!r} uses an unsupported compression",
            )
            self.infos[name] = info
        if "header" not in self.infos:
            raise Invalid("not a tui-taxi save (no header)")

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
        check(info is not None, f"missing array {name!r}")
        check(self.members is not None or name == "header", f"{name} read without its dtype")
        declared = self.members[name] if self.members is not None else None  # (header alone)
        itemsize = itemsize or np.dtype(declared).itemsize
        bound = math.prod((rows, *shape[1:]) if rows is not None else shape) * itemsize
        check(
            info.file_size <= bound + _NPY_OVERHEAD,
            f"{name} declares {info.file_size:,} bytes, at most {bound + _NPY_OVERHEAD:,} expected",
        )
        with self.archive.open(info) as member:
            f = _Bounded(member, info.file_size)
            found_shape, fortran, dtype = _npy_header(f, name)
            if dtype.hasobject:
                raise _Pickled(name)
            expected = np.dtype(declared) if declared is not None else None
            if expected is not None:
                check(dtype == expected, f"{name} has dtype {dtype}, expected {expected}")
            else:
                check(dtype.itemsize <= itemsize, f"{name} is longer than {itemsize:,} bytes")
            if rows is not None:
                ok = (
                    len(found_shape) == len(shape)
                    and found_shape[1:] == shape[1:]
                    and 0 <= found_shape[0] <= rows
                )
                check(
                    ok,
                    f"{name} has shape {found_shape}, expected (k, "
                    f"{', '.join(map(str, shape[1:]))}) with k <= {rows}",
                )
            else:
                check(found_shape == shape, f"{name} has shape {found_shape}, expected {shape}")
            nbytes = math.prod(found_shape) * dtype.itemsize
            data = f.read(nbytes)
            check(len(data) == nbytes, f"{name} is truncated")
            check(f.read(1) == b"", f"{name} has data beyond its array")
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
        raise Invalid(f"{name} is not a valid .npy array ({_one_line(exc)})") from None
    raise Invalid(f"{name} uses .npy format version {version}, expected 1.0 or 2.0")


def read_history(archive: Archive, extra: tuple[str, ...] = ()) -> History:
    """A :class:`History` (with the ``extra`` columns) saved by its ``to_arrays``, checked."""
    meta = archive.read("history_meta", (5,))
    try:
        _, _, n_bins, _, episodes = History.check_meta(meta)
        return History.from_arrays(
            archive.read("history_sums", (n_bins, len(COLUMNS) + len(extra))),
            meta,
            archive.read("history_recent", (RECENT, 2), rows=min(RECENT, episodes)),
            extra=extra,
        )
    except ValueError as exc:
        raise Invalid(str(exc)) from None


#: The members a History is saved as, and their dtypes.
HISTORY_MEMBERS = {
    "history_sums": np.float64,
    "history_meta": np.int64,
    "history_recent": np.float64,
}


def read_format(path: str | os.PathLike) -> str:
    """The format a save's header names (which kind of agent wrote it), the rest unread."""

    def header_format(archive: Archive) -> str:
        header = read_header(archive, None)
        check(isinstance(header.get("format"), str), "not a tui-taxi save (wrong header)")
        return header["format"]

    return read_archive(path, None, header_format)


def read_header(archive: Archive, formats: tuple[str, ...] | None) -> dict:
    """The archive's JSON header, whose format is one of ``formats`` (None: any)."""
    raw = archive.read("header", (), itemsize=4 * MAX_HEADER_CHARS)
    check(raw.dtype.kind == "U", f"header has dtype {raw.dtype}, expected text")
    try:
        header = json.loads(str(raw[()]))
    except (ValueError, RecursionError):
        raise Invalid("not a tui-taxi save (its header is not JSON)") from None
    check(
        isinstance(header, dict) and (formats is None or header.get("format") in formats),
        "not a tui-taxi save (wrong header)",
    )
    return header


def read_env_kwargs(items) -> tuple:
    message = f"env_kwargs must be a list of [name, value] pairs, got {items!r}"[:200]
    check(isinstance(items, list), message)
    for item in items:
        check(isinstance(item, list) and len(item) == 2 and isinstance(item[0], str), message)
        value = item[1]
        check(
            value is None
            or type(value) in (bool, int, float, str)
            or (isinstance(value, list) and all(type(row) is str for row in value)),  # a map
            f"env keyword argument {item[0]!r} must be a plain value, got {value!r}"[:200],
        )
    names = [item[0] for item in items]
    check(len(set(names)) == len(names), f"env keyword arguments repeat: {names}")
    return normalize_kwargs(
        [(name, tuple(value) if isinstance(value, list) else value) for name, value in items]
    )


def finite(arr: np.ndarray, name: str) -> np.ndarray:
    check(bool(np.all(np.isfinite(arr))), f"{name} contains NaN or infinite values")
    return arr

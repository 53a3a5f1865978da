"""Cold and warm start of the live app, as a person sees it: the real ``tui-taxi`` process on a
pseudo-terminal, timed from launch to its first frame (the status line drawn) and to the first
frame that shows training (the episode counter), with an empty numba cache and with a warm one.

    python bench/bench_start.py [--runs 3]

Target (issue 7): the first frame within 1 s in both cases; compiling runs in the background
with a "compiling the kernels" note while pause, help and quit work. Figures only.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import signal
import struct
import sys
import tempfile
import termios
import time

TRAINING = b"episode"  # the status line once a session runs


def launch(cache_dir: str, timeout: float = 60.0) -> tuple[float, float]:
    """Seconds from launch to the first frame and to the first training frame."""
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        os.environ.update({"TERM": "xterm-256color", "NUMBA_CACHE_DIR": cache_dir})
        os.execv(sys.executable, [sys.executable, "-m", "tui_taxi"])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    out = b""
    first = training = None
    try:
        while time.perf_counter() - start < timeout and training is None:
            ready, _, _ = select.select([fd], [], [], 0.005)
            if not ready:
                continue
            out += os.read(fd, 1 << 16)
            now = time.perf_counter() - start
            if first is None and (b"compiling" in out or TRAINING in out):
                first = now
            if TRAINING in out:
                training = now
    finally:
        os.kill(pid, signal.SIGTERM)
        while not os.waitpid(pid, os.WNOHANG)[0]:  # keep reading: a full pty blocks its exit
            if select.select([fd], [], [], 0.05)[0]:
                try:
                    os.read(fd, 1 << 16)
                except OSError:
                    break
        os.close(fd)
    if first is None or training is None:
        raise RuntimeError(f"the app did not draw in {timeout} s: {out[-200:]!r}")
    return first, training


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"{'numba cache':<14}{'first frame s':>16}{'training shown s':>18}")
    warm = tempfile.mkdtemp(prefix="tui-taxi-warm-")
    launch(warm)  # fill it
    for label, cache in (("empty", None), ("warm", warm)):
        firsts, trains = [], []
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory(prefix="tui-taxi-cold-") as cold:
                first, training = launch(cache or cold)
            firsts.append(first)
            trains.append(training)
        print(
            f"{label:<14}{min(firsts):>10.2f} (max {max(firsts):.2f}){min(trains):>10.2f} "
            f"(max {max(trains):.2f})"
        )
    print(f"\nbest of {args.runs} launches each; 120x40 pseudo-terminal")


if __name__ == "__main__":
    main()

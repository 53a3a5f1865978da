"""A real local Dask cluster for the tests: a scheduler and ``workers`` one-thread workers, each
its own process, as `dask scheduler` and `dask worker` start them on machines."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def local_cluster(workers: int = 2):
    """The scheduler's address, once ``workers`` workers have joined; all stopped after."""
    from distributed import Client

    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    dask = [sys.executable, "-m", "dask"]
    procs = [
        subprocess.Popen(
            [*dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        procs.append(
            subprocess.Popen(
                [*dask, "worker", address, "--nworkers", str(workers), "--nthreads", "1",
                 "--no-dashboard"],
                stderr=subprocess.DEVNULL,
            )
        )  # fmt: skip
        with Client(address, timeout="60s") as client:
            client.wait_for_workers(workers, timeout=120)
        yield address
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in reversed(procs):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

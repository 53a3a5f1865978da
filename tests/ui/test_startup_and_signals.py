"""The screen is up before the session is built (the first run compiles the kernels), keys work
meanwhile, and SIGTERM leaves the terminal as it was."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import threading
import time

from driver import settle

from tui_taxi.core.tabular import TabularAgent, TrainConfig
from tui_taxi.protocol import World
from tui_taxi.ui.app import TaxiApp
from tui_taxi.ui.screens.help import HelpScreen
from tui_taxi.ui.widgets.status_bar import StatusBar


async def test_the_screen_and_its_keys_work_while_the_session_is_being_built():
    built = threading.Event()

    def slow_session() -> TabularAgent:
        built.wait(timeout=30)  # as a first run compiling the kernels
        return TabularAgent(TrainConfig())

    app = TaxiApp(slow_session, world=World.of(TabularAgent(TrainConfig()).model))
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(100):
            await pilot.pause(0.01)
            if "compiling" in app.query_one(StatusBar).text().plain:
                break
        assert "compiling" in app.query_one(StatusBar).text().plain
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.press("space")  # pause, queued until the session exists
        built.set()
        snap = await settle(pilot, lambda s: s.handled >= app.trainer.sent)
        assert snap.paused and snap.total_steps == 0  # the pause came before any training


def _read(fd: int, wait: float) -> bytes | None:
    """What ``fd`` has within ``wait`` seconds (b"" if nothing yet), or None once it is closed."""
    ready, _, _ = select.select([fd], [], [], wait)
    if not ready:
        return b""
    try:
        return os.read(fd, 65536) or None
    except BlockingIOError:
        return b""
    except OSError:  # EIO: every copy of the terminal's other end is closed
        return None


def _reap(pid: int, within: float) -> int | None:
    """The wait status of ``pid`` once it has exited, polling for at most ``within`` seconds."""
    end = time.monotonic() + within
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        if time.monotonic() >= end:
            return None
        time.sleep(0.01)  # polling a child process's exit, not synchronising with the app


def _run_in_pty(argv: list[str], until: bytes, timeout: float = 60.0) -> tuple[int, bytes]:
    """Start ``argv`` on a pseudo-terminal, wait for ``until`` in its output, send SIGTERM,
    and return its exit status and everything it wrote. Every wait here is bounded: a child
    that hangs is killed and the test fails; it can never hang the test run."""
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"}
    pid, fd = pty.fork()
    if pid == 0:  # the child: the app, on the pty; it must never return into pytest's code
        try:
            os.execve(sys.executable, [sys.executable, *argv], env)
        finally:
            os._exit(127)
    os.set_blocking(fd, False)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    out = b""
    sent = False
    status = None
    deadline = time.monotonic() + timeout
    while status is None and time.monotonic() < deadline:
        chunk = _read(fd, 0.1)
        out += chunk or b""
        if not sent and until in out:
            os.kill(pid, signal.SIGTERM)
            sent = True
        status = _reap(pid, 0)
    if status is None:
        os.kill(pid, signal.SIGKILL)
        _reap(pid, 10)
        os.close(fd)
        raise AssertionError(f"no exit within {timeout} s; output tail {out[-300:]!r}")
    end = time.monotonic() + 2.0  # drain what is left, without waiting on a stray holder
    while time.monotonic() < end and (chunk := _read(fd, 0.05)) is not None:
        out += chunk
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out


def test_sigterm_quits_cleanly_and_restores_the_terminal():
    code, out = _run_in_pty(["-m", "tui_taxi", "--paused"], until=b"paused")
    assert code == 143  # 128 + SIGTERM, as a terminated program conventionally exits
    tail = out[out.rfind(b"paused") :]
    assert b"\x1b[?1049l" in tail  # left the alternate screen
    assert b"\x1b[?25h" in tail  # the cursor shown again
    assert b"\x1b[?1000l" in tail or b"\x1b[?1003l" in tail  # mouse tracking off
    assert b"Traceback" not in out


def test_a_crash_of_the_app_exits_non_zero(tmp_path):
    script = tmp_path / "crash.py"
    script.write_text(
        "import sys\n"
        "from tui_taxi import cli\n"
        "from tui_taxi.ui import app as app_module\n"
        "def boom(self, message):\n"
        "    raise RuntimeError('boom')\n"
        "app_module.TaxiApp.on_snapshot_ready = boom\n"
        "sys.exit(cli.main(['--paused']))\n"
    )
    code, out = _run_in_pty([str(script)], until=b"\x00never", timeout=60)
    assert code != 0 and b"boom" in out


async def test_the_periodic_full_collection_runs_without_stopping_the_app(monkeypatch):
    """Textual's timer runs the app's full collection (given ``gc.collect`` itself, a C
    function, the timer raised and the app died 20 s after every start)."""
    import asyncio
    import gc

    from driver import make_app

    import tui_taxi.ui.app as app_module

    loop = asyncio.get_running_loop()
    collected = asyncio.Event()

    def on_collection(phase, info):
        if phase == "start" and info["generation"] == 2:
            loop.call_soon_threadsafe(collected.set)

    monkeypatch.setattr(app_module, "GC_FULL_INTERVAL", 0.01)
    gc.callbacks.append(on_collection)
    try:
        app = make_app(episodes=10)
        async with app.run_test(size=(100, 30)) as pilot:
            await asyncio.wait_for(collected.wait(), timeout=10)
            await pilot.press("question_mark")  # still answering
            assert app.is_running and app.return_code is None
    finally:
        gc.callbacks.remove(on_collection)

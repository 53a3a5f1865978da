"""`tui-taxi serve` in a real browser: serve the app, open it in headless Chromium (driven by
Playwright), and check that the page shows the app, not just textual-serve's intro box.

    python bench/bench_serve.py

Needs Debian's chromium (/usr/bin/chromium), node and npm; playwright-core is installed into a
temporary folder (it uses the system Chromium, no browser download). Prints the time to the
first frame and whether the Taxi pads' exact colours are on screen. Nothing here is a timed test.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

from tui_taxi.ui.colors import PAD_COLORS

CHECK_JS = r"""
const { chromium } = require('playwright-core');
(async () => {
  const [url, out] = process.argv.slice(2);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  const start = Date.now();
  await page.goto(url);
  await page.waitForSelector('.intro-dialog', { state: 'hidden', timeout: 30000 });
  const connected = (Date.now() - start) / 1000;
  await page.waitForTimeout(3000);  // let the first frames arrive
  await page.screenshot({ path: out });
  console.log(JSON.stringify({ connected }));
  await browser.close();
})().catch(e => { console.error(String(e)); process.exit(1); });
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def png_pixels(path: Path) -> set[tuple[int, int, int]]:
    """The distinct RGB colours of an 8-bit RGB/RGBA, non-interlaced PNG (stdlib only)."""
    data = path.read_bytes()
    pos, chunks = 8, {}
    idat = b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IDAT":
            idat += body
        else:
            chunks[kind] = body
        pos += 12 + length
    width, height, depth, ctype = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    channels = {2: 3, 6: 4}[ctype]
    assert depth == 8
    raw = zlib.decompress(idat)
    stride = width * channels
    previous = bytearray(stride)
    colours = set()
    for y in range(height):
        filter_type = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            up_left = previous[i - channels] if i >= channels else 0
            if filter_type == 1:
                line[i] = (line[i] + left) & 0xFF
            elif filter_type == 2:
                line[i] = (line[i] + up) & 0xFF
            elif filter_type == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif filter_type == 4:
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else up_left
                line[i] = (line[i] + pred) & 0xFF
        colours.update(tuple(line[i : i + 3]) for i in range(0, stride, channels))
        previous = line
    return colours


def main() -> int:
    if not (shutil.which("node") and shutil.which("npm") and Path("/usr/bin/chromium").exists()):
        print("needs node, npm and /usr/bin/chromium (apt-get install chromium)")
        return 1
    work = Path(tempfile.mkdtemp(prefix="tui-taxi-serve-"))
    subprocess.run(
        ["npm", "install", "--silent", "--prefix", str(work), "playwright-core"],
        check=True,
        capture_output=True,
    )
    (work / "check.js").write_text(CHECK_JS)
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tui_taxi",
            "serve",
            "--port",
            str(port),
            "--",
            "--paused",
            "--seed",
            "3",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):  # wait for the server to listen
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        shot = work / "page.png"
        env = {**os.environ, "NODE_PATH": str(work / "node_modules")}
        out = subprocess.run(
            ["node", str(work / "check.js"), f"http://127.0.0.1:{port}/", str(shot)],
            capture_output=True,
            text=True,
            env=env,
            timeout=90,
        )
        if out.returncode:
            print(f"browser check failed: {out.stderr.strip()[:300]}")
            return 1
        connected = json.loads(out.stdout)["connected"]
        colours = png_pixels(shot)
        pads = [tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in PAD_COLORS]
        shown = [c for c, rgb in zip(PAD_COLORS, pads, strict=True) if rgb in colours]
        print(f"app connected in the browser after {connected:.1f} s; screenshot: {shot}")
        print(f"Taxi pad colours on the page: {len(shown)}/4 ({', '.join(shown)})")
        return 0 if len(shown) == 4 else 1
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    raise SystemExit(main())

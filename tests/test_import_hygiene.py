"""The core stays importable without the UI stack (checked in a fresh interpreter)."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import importlib, pkgutil, sys
import tui_taxi.core
for module in pkgutil.walk_packages(tui_taxi.core.__path__, "tui_taxi.core."):
    importlib.import_module(module.name)  # every module of the core, every kind's folder
from tui_taxi.core.agent import kinds
for kind in kinds().values():  # and each kind trained a little
    kind(kind.configure(kind.default_env)).train(steps=5)
ui = sorted(m for m in sys.modules if m.split(".")[0] in {"textual", "rich", "plotext", "textual_plotext"})
print(",".join(ui))
"""


def test_core_imports_no_textual_rich_or_plotext():
    out = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_headless_cli_imports_no_textual():
    code = "import sys, tui_taxi.cli; print(any(m.startswith('textual') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

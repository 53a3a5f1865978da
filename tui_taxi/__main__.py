"""`python -m tui_taxi` runs the same entry point as `tui-taxi`."""

from tui_taxi.cli import main

raise SystemExit(main())

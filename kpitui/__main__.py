"""Run kpitui as `python -m kpitui`."""

from kpitui.cli import main

raise SystemExit(main())

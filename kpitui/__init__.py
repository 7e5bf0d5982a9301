"""kpitui: browse, check and edit KPI trees in the terminal."""

__version__ = "0.1.0"

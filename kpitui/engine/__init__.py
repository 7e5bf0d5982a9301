"""The analysis with its findings: a full analysis (`analyze`), and the update after an edit (`update`)."""

from kpitui.engine.full import analyze

__all__ = ["analyze"]

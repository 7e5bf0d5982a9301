"""Widgets of the kpitui app."""

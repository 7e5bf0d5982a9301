"""Screens of the kpitui app."""

"""The version of kpitui (the package metadata says the same; a test holds them together)."""

__version__ = "0.1.0"

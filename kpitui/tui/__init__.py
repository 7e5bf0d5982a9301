"""The Textual app of kpitui."""

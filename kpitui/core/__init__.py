"""The pure domain of kpitui: model, loading, analysis, export; no UI imports."""

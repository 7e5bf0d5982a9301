"""Analysing a tree at a date: the graph, values, statuses, forecasts, conflicts and the structural indexes."""

"""Findings: each problem the analysis sees, detected and worded (the codes are defined in model/registry.py)."""

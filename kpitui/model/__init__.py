"""The domain: nodes, settings, findings, errors; the schema, formulas, typed input, the finding codes."""

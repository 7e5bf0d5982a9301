"""Plain helpers every layer may use: terminal-safe text, number formats, the collector pause, least-squares trends."""

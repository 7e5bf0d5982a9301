"""Files: reading TOML and trees, where nodes are written, saving safely, the journal, config, measurements."""

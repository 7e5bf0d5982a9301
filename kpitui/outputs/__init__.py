"""Reports and files made from an analysis: text, JSON, SARIF and GitHub for CI, CSV and xlsx, diagrams, charts."""

"""Driver-tree questions over an analysis: what-if, goal seek, what moved a node, forecasts in a scenario."""

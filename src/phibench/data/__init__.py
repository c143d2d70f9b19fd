"""Data layer: the cohort table, the embedded generator and dataset loaders."""

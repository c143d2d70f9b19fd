"""Running a benchmark: seeds, the run directory, provenance and tracking."""

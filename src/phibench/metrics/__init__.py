"""Pure metric computations (no I/O): errors, intervals, coverage."""

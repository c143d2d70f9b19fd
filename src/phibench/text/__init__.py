"""Clinical-text benchmarks (D2): corpora, de-identification systems, scoring."""

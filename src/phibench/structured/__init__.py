"""Structured-data (D1) methods."""

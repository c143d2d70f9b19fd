"""Plots and readable documents made from run results."""

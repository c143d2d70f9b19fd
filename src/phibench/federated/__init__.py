"""Federated learning benchmark (Flower): sites, models, strategies, runtimes.

Modules that import Flower or PyTorch are imported lazily by the runner, so
that phibench works without the 'federated' extra. Public entry points:
`phibench.runner.federated_job.run_job` and the modules' documented functions.
"""

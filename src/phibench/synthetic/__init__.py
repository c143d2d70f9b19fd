"""Synthetic data benchmark: generators, fidelity, utility and privacy by attack.

Heavy libraries (SDV, OpenDP's mbi, Anonymeter, scikit-learn) are imported
inside the functions that need them, so `phibench --help` works without the
`synthetic` extra.
"""

"""Seeds derived from one recorded root seed.

Every random choice outside the DP noise takes a generator spawned from the
root seed with `numpy.random.SeedSequence`, so a run is described by one number.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SeedPlan:
    root_seed: int
    data_seed: int
    bootstrap_seed: int
    trial_seeds: tuple[int, ...]

    @classmethod
    def from_root(cls, root_seed: int, *, n_trials: int) -> SeedPlan:
        data, bootstrap, trials = np.random.SeedSequence(root_seed).spawn(3)
        trial_seeds = tuple(
            int(child.generate_state(1)[0]) for child in trials.spawn(n_trials)
        )
        return cls(
            root_seed=root_seed,
            data_seed=int(data.generate_state(1)[0]),
            bootstrap_seed=int(bootstrap.generate_state(1)[0]),
            trial_seeds=trial_seeds,
        )

    def record(self, *, trial_seed_note: str) -> dict[str, object]:
        return {
            "root_seed": self.root_seed,
            "derivation": "numpy.random.SeedSequence(root).spawn: data, bootstrap, "
            "trials",
            "data_seed": self.data_seed,
            "bootstrap_seed": self.bootstrap_seed,
            "trial_seeds": list(self.trial_seeds),
            "trial_seed_note": trial_seed_note,
        }

"""The warning for a run with one site names what made it one site."""

from __future__ import annotations

import logging

from phibench.runner.federated_job import JobOptions, LabelSkew, _load_sites


def test_one_skewed_site_is_blamed_on_skew(caplog):
    options = JobOptions(label_skew=LabelSkew(1, 300, 0.5))
    with caplog.at_level(logging.WARNING, logger="phibench"):
        _, cohort, _, _ = _load_sites(options)
    assert cohort["site"].n_unique() == 1
    (warning,) = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warning.startswith("--skew has one site")
    assert warning.endswith("give --skew two sites or more")


def test_several_sites_give_no_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="phibench"):
        _, cohort, _, _ = _load_sites(JobOptions(n_admissions=600))
    assert cohort["site"].n_unique() > 1
    assert not [r for r in caplog.records if r.levelname == "WARNING"]

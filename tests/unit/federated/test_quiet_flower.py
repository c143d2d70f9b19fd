"""Flower's console output while a simulation runs: none, and the first error
kept for phibench's one-line message."""

from __future__ import annotations

import io
import logging

import pytest

from phibench.federated.simulation import quiet_flower


@pytest.fixture
def flower_console():
    """A console handler on the `flwr` logger, as importing Flower adds one."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.DEBUG)
    flower = logging.getLogger("flwr")
    flower.addHandler(handler)
    level, flower.level = flower.level, logging.DEBUG
    yield stream
    flower.removeHandler(handler)
    flower.setLevel(level)


def test_flower_writes_nothing_to_the_console_and_its_first_error_is_kept(
    flower_console,
):
    flower = logging.getLogger("flwr")
    with quiet_flower() as errors:
        flower.warning("fraction_evaluate is set to 0.0")
        flower.error(
            "Traceback (most recent call last):\n  File x\nValueError: bad\n\n"
        )
        flower.error("a second error")
    assert flower_console.getvalue() == ""
    assert errors.summary() == "Flower's first error: ValueError: bad"
    flower.warning("after the run")  # the console is back
    assert flower_console.getvalue() == "after the run\n"


def test_a_run_without_an_error_says_so(flower_console):
    with quiet_flower() as errors:
        logging.getLogger("flwr").info("round 1")
    assert errors.summary() == "Flower reported no error"


def test_only_the_deprecation_notice_of_run_simulation_is_dropped(flower_console):
    kept = []

    class Keep(logging.Handler):
        def emit(self, record):
            kept.append(record.getMessage())

    flower = logging.getLogger("flwr")
    keeper = Keep()
    flower.addHandler(keeper)
    try:
        with quiet_flower():
            flower.warning("DEPRECATED FEATURE: run_simulation() is deprecated")
            flower.warning("DEPRECATED FEATURE: something else")
    finally:
        flower.removeHandler(keeper)
    assert kept == ["DEPRECATED FEATURE: something else"]

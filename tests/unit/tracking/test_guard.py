"""The data-use guard's rules, table-driven."""

from __future__ import annotations

import pytest

from phibench.tracking.guard import (
    ALLOW_ENV,
    DataUseError,
    DataUseTerms,
    check_artifacts,
    check_send,
    is_loopback,
)

RESTRICTED = DataUseTerms("mimic-iv", "forbidden")
OPEN = DataUseTerms("synthea", "allowed")
UNKNOWN = DataUseTerms("csv:extract.csv")


@pytest.mark.parametrize(
    ("uri", "local"),
    [
        ("http://127.0.0.1:5000", True),
        ("http://127.8.9.1:5000", True),
        ("http://localhost:8080/v1", True),
        ("http://[::1]:5000", True),
        ("sqlite:////tmp/mlflow.db", True),
        ("/tmp/runs/artifacts", True),
        ("file:///tmp/artifacts", True),
        ("https://api.example.com/v1", False),
        ("http://10.0.0.5:5000", False),
        ("s3://bucket/artifacts", False),
        ("mlflow-artifacts:/1/abc", False),
    ],
)
def test_loopback_detection(uri, local):
    assert is_loopback(uri) is local


def test_restricted_rows_to_a_remote_endpoint_are_refused(monkeypatch):
    monkeypatch.delenv(ALLOW_ENV, raising=False)
    with pytest.raises(DataUseError) as refused:
        check_send(RESTRICTED, endpoint="https://api.example.com/v1/chat")
    message = str(refused.value)
    assert "'mimic-iv'" in message and "https://api.example.com" in message
    assert ALLOW_ENV in message


def test_loopback_and_allow_listed_endpoints_are_allowed(monkeypatch):
    check_send(RESTRICTED, endpoint="http://127.0.0.1:11434/api")
    monkeypatch.setenv(ALLOW_ENV, "https://llm.hospital.example/v1")
    check_send(RESTRICTED, endpoint="https://llm.hospital.example/v1")
    check_send(
        RESTRICTED, endpoint="https://other.example", allow=["https://other.example"]
    )


def test_unknown_terms_count_as_restricted():
    with pytest.raises(DataUseError):
        check_send(UNKNOWN, endpoint="https://api.example.com")
    check_send(OPEN, endpoint="https://api.example.com")


def test_row_level_artifacts_of_restricted_data_are_refused_everywhere():
    for destination in ("s3://bucket/a", "/tmp/phibench-runs/artifacts"):
        with pytest.raises(DataUseError, match="1 row-level file"):
            check_artifacts(
                RESTRICTED, artifact_uri=destination, row_level=["rows.csv"]
            )


def test_aggregates_and_open_data_pass():
    check_artifacts(RESTRICTED, artifact_uri="s3://bucket/a", row_level=[])
    check_artifacts(OPEN, artifact_uri="s3://bucket/a", row_level=["rows.csv"])

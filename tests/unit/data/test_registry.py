"""The dataset registry: schema failures (pinned messages), content, README, CLI."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import yaml

from phibench.data.embedded import EMBEDDED_VERSION
from phibench.data.registry import (
    LOADER_NAMES,
    DataUse,
    RegistryError,
    UnknownDatasetError,
    get,
    load_registry,
    parse_registry,
    render_markdown,
)
from phibench.errors import InputError
from phibench.spec.schema import packaged_ids, packaged_spec
from tests.conftest import run_cli

REQUIRED_IDS = {
    "embedded",
    "mimic-iv",
    "mimic-iv-demo",
    "eicu-crd",
    "eicu-demo",
    "synthea",
    "physionet-deid",
    "meddocan",
    "i2b2-2014",
}
README = Path(__file__).resolve().parents[3] / "datasets" / "README.md"
TOY = {
    "id": "toy",
    "name": "Toy data",
    "publisher": "Nobody",
    "version": None,
    "data_type": "structured",
    "modality": "tables",
    "access": "open",
    "access_steps": ["download it"],
    "licence": None,
    "data_use": {
        "third_party_sharing": "allowed",
        "row_level_in_shared_artifacts": "allowed",
    },
    "landing_page": None,
}


def _parse(*entries: dict, **top: object):
    text = yaml.safe_dump({"datasets": list(entries), **top})
    return parse_registry(text, source="test.yaml", benchmark_ids=["dp-analytics"])


def _toy(**changes: object) -> dict:
    entry = dict(TOY, **changes)
    return {key: value for key, value in entry.items() if value is not ...}


# --- schema failures -------------------------------------------------------------


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        (
            [_toy(licence=...)],
            "test.yaml: dataset 'toy': field licence is required; add it (null when "
            "the fact is not known)",
        ),
        (
            [_toy(id=...)],
            "test.yaml: entry 1: field id is required; add it (null when the fact is "
            "not known)",
        ),
        (
            [_toy(), _toy(name="Other")],
            "test.yaml: dataset id 'toy' appears twice (entries 1 and 2); ids must be "
            "unique",
        ),
        (
            [_toy(loaders=["mimic"])],
            "test.yaml: dataset 'toy': field loaders: 'mimic' is not a phibench "
            "loader; use one of " + ", ".join(LOADER_NAMES),
        ),
        (
            [_toy(benchmarks=["dp-ml"])],
            "test.yaml: dataset 'toy': field benchmarks: 'dp-ml' is not a packaged "
            "benchmark; use one of dp-analytics",
        ),
        (
            [_toy(licence_url="https://example.org")],
            "test.yaml: dataset 'toy': field licence_url is not a registry field; "
            "remove or rename it",
        ),
        (
            [_toy(version=2.2)],
            "test.yaml: dataset 'toy': field version: Input should be a valid string "
            "(got 2.2)",
        ),
        (
            [_toy(id="MIMIC_IV")],
            "test.yaml: dataset 'MIMIC_IV': field id: String should match pattern "
            "'^[a-z0-9]+(-[a-z0-9]+)*$' (got 'MIMIC_IV')",
        ),
    ],
    ids=[
        "missing-field",
        "missing-id",
        "duplicate-id",
        "bad-loader",
        "bad-benchmark",
        "unknown-field",
        "unquoted-version",
        "id-not-kebab",
    ],
)
def test_invalid_registry_is_one_line_error(entries, message):
    with pytest.raises(RegistryError) as caught:
        _parse(*entries)
    assert str(caught.value) == message
    assert isinstance(caught.value, InputError)


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"layout": ["../etc/passwd"]}, "field layout: '../etc/passwd'"),
        ({"layout": ["/abs.csv"]}, "field layout: '/abs.csv' is not"),
        ({"checksums": "../SUMS"}, "field checksums: '../SUMS'"),
        (
            {"layout": ["a.csv"], "markers": ["b.csv"]},
            "markers ['b.csv'] are not in layout",
        ),
        (
            {
                "access": "credentialed",
                "data_use": {
                    "third_party_sharing": "allowed",
                    "row_level_in_shared_artifacts": "forbidden",
                },
            },
            "third_party_sharing is 'allowed' but access is 'credentialed'",
        ),
        ({"access_steps": []}, "field access_steps: Tuple should have at least 1"),
        ({"landing_page": "physionet.org"}, "field landing_page: String should"),
        ({"data_use": {"third_party_sharing": "maybe"}}, "field data_use."),
    ],
)
def test_entry_rules(changes, fragment):
    with pytest.raises(RegistryError, match=r"^test\.yaml: dataset 'toy'") as caught:
        _parse(_toy(**changes))
    assert fragment in str(caught.value)
    assert "\n" not in str(caught.value)


def test_registry_file_shape_errors():
    with pytest.raises(RegistryError, match=r"^x\.yaml: not valid YAML at line \d+$"):
        parse_registry("datasets:\n  - [unclosed\n", source="x.yaml")
    with pytest.raises(RegistryError, match="with a list under 'datasets'"):
        parse_registry("- id: toy\n", source="x.yaml")
    with pytest.raises(RegistryError, match="top-level key 'extra' is not allowed"):
        _parse(_toy(), extra=1)


def test_yaml_anchor_lists_are_flattened_and_x_keys_ignored():
    entry = textwrap.indent(yaml.safe_dump([_toy()]), "  ")
    text = "x-shared: &files [a.csv]\ndatasets:\n" + entry
    text += "    layout: [*files, b.csv]\n"
    parsed = parse_registry(text, source="t", benchmark_ids=[]).get("toy")
    assert parsed.layout == ("a.csv", "b.csv")


# --- content of the packaged registry ----------------------------------------------


def test_packaged_registry_has_33_real_datasets_and_the_required_ids():
    registry = load_registry()
    real = [entry for entry in registry.datasets if entry.id != "embedded"]
    assert len(real) >= 33
    assert set(registry.ids()) >= REQUIRED_IDS


def test_benchmark_references_agree_with_the_specs_both_ways():
    registry = load_registry()
    for benchmark_id in packaged_ids():
        spec_datasets = {
            d for d in packaged_spec(benchmark_id).datasets if not d.startswith("csv:")
        }
        listed = {e.id for e in registry.datasets if benchmark_id in e.benchmarks}
        assert listed == spec_datasets, benchmark_id


def test_embedded_entry_matches_the_generator_version():
    assert get("embedded").version == EMBEDDED_VERSION


def test_credentialed_data_is_marked_as_restricted_use():
    registry = load_registry()
    for entry in registry.select(access="credentialed"):
        assert entry.data_use.third_party_sharing in ("forbidden", "unknown")
        assert entry.data_use.restricts_sharing
    assert get("mimic-iv").data_use.third_party_sharing == "forbidden"
    assert get("i2b2-2014").data_use.row_level_in_shared_artifacts == "forbidden"
    assert not get("mimic-iv-demo").data_use.restricts_sharing


def test_unknown_terms_count_as_restricted():
    use = DataUse(
        third_party_sharing="allowed", row_level_in_shared_artifacts="unknown"
    )
    assert use.restricts_sharing


def test_known_quirks_are_recorded():
    assert any("91" in quirk for quirk in get("mimic-iv").quirks)
    assert any("2100" in quirk for quirk in get("mimic-iv").quirks)
    assert any("vitalPeriodic" in quirk for quirk in get("eicu-demo").quirks)
    assert get("mimic-iv-demo").checksums == "SHA256SUMS.txt"


def test_unknown_id_suggests_the_nearest():
    with pytest.raises(UnknownDatasetError) as caught:
        get("mimic4")
    assert str(caught.value) == (
        "dataset id 'mimic4' is not in the registry; did you mean mimic-iv or "
        f"mimic-iii or mimic-cxr? (`phibench datasets list` shows all "
        f"{len(load_registry().datasets)})"
    )


def test_select_filters_by_type_and_access():
    registry = load_registry()
    text_open = registry.select(data_type="text", access="open")
    assert {"physionet-deid", "meddocan"} <= {e.id for e in text_open}
    assert all(e.data_type == "text" and e.access == "open" for e in text_open)
    with pytest.raises(InputError, match="data_type 'notes' is not allowed"):
        registry.select(data_type="notes")


def test_committed_readme_is_the_rendered_registry():
    expected = render_markdown(load_registry())
    assert README.read_text(encoding="utf-8") == expected, (
        "datasets/README.md is out of date; regenerate with: "
        "uv run python -m phibench.data.registry > datasets/README.md"
    )


# --- CLI handlers ------------------------------------------------------------------


def test_list_prints_every_dataset_with_access_and_licence(capsys):
    code, out, _ = run_cli(["datasets", "list"], capsys)
    lines = out.splitlines()
    assert code == 0
    assert len(lines) == len(load_registry().datasets)
    mimic = next(line for line in lines if line.startswith("mimic-iv "))
    assert "credentialed" in mimic
    assert "PhysioNet Credentialed Health Data License 1.5.0" in mimic


def test_list_json_filters(capsys):
    argv = ["datasets", "list", "--type", "text", "--access", "registration"]
    code, out, _ = run_cli([*argv, "--format", "json"], capsys)
    rows = json.loads(out)
    assert code == 0
    assert {row["id"] for row in rows} == {"i2b2-2006", "i2b2-2014"}
    assert rows[0]["data_use"]["third_party_sharing"] == "forbidden"


def test_list_rejects_an_unknown_type(capsys):
    with pytest.raises(SystemExit) as caught:
        run_cli(["datasets", "list", "--type", "images"], capsys)
    assert caught.value.code == 2
    assert "invalid choice: 'images'" in capsys.readouterr().err


def test_show_text_and_json(capsys):
    code, out, _ = run_cli(["datasets", "show", "eicu-crd"], capsys)
    assert code == 0
    assert out.startswith("eicu-crd: eICU Collaborative Research Database\n")
    assert "208" in out

    code, out, _ = run_cli(["datasets", "show", "mimic-iv", "--format", "json"], capsys)
    entry = json.loads(out)
    assert code == 0
    assert entry["doi"] == "10.13026/07hj-2a80"
    assert entry["data_use"]["third_party_sharing"] == "forbidden"
    assert entry["loaders"] == ["mimic-iv"]


def test_show_unknown_id_is_exit_2_with_suggestion(capsys):
    code, out, err = run_cli(["datasets", "show", "eicu"], capsys)
    assert code == 2
    assert out == ""
    assert err.startswith("phibench: error: dataset id 'eicu' is not in the registry")
    assert "did you mean" in err

"""Leak counts per category and the local leak file."""

from __future__ import annotations

import json

from phibench.text.document import Corpus, Document, GoldSpan, Span
from phibench.text.leaks import leak_report, span_status, write_leak_file

TEXT = "Ana Lee saw Dr Bo on 3/4 at RGH. Call 555-201-7788."
GOLD = (
    GoldSpan(0, 7, "PATIENT", "Ana Lee"),
    GoldSpan(15, 17, "DOCTOR", "Bo"),
    GoldSpan(21, 24, "DATE", "3/4"),
    GoldSpan(28, 31, "HOSPITAL", "RGH"),
    GoldSpan(38, 50, "PHONE", "555-201-7788"),
)
PREDICTED = {
    "a": [
        Span(0, 3, "PATIENT"),  # Lee survives: partial
        Span(14, 18, "OTHER"),  # covers Bo with spaces around: removed
        Span(21, 24, "DATE"),  # removed
        Span(38, 41, "PHONE"),  # 201-7788 survives: partial
    ]
}
CORPUS = Corpus("toy", "en", (Document("a", "p", TEXT, GOLD),))


def test_counts_per_category_and_total() -> None:
    report = leak_report(CORPUS, PREDICTED)
    assert report["per_category"] == {
        "CONTACT": {"n_gold": 1, "untouched": 0, "partial": 1, "removed": 0},
        "DATE": {"n_gold": 1, "untouched": 0, "partial": 0, "removed": 1},
        "LOCATION": {"n_gold": 1, "untouched": 1, "partial": 0, "removed": 0},
        "NAME": {"n_gold": 2, "untouched": 0, "partial": 1, "removed": 1},
    }
    assert report["total"] == {"n_gold": 5, "untouched": 1, "partial": 2, "removed": 2}
    # Safe Harbor: patient name, date, phone (not the doctor, not the hospital)
    assert report["safe_harbor"] == {
        "n_gold": 3,
        "untouched": 0,
        "partial": 2,
        "removed": 1,
    }
    assert "Lee" not in json.dumps(report) and "7788" not in json.dumps(report)


def test_whitespace_edges_do_not_make_a_span_partial() -> None:
    text = "Dr  SMITH  came"
    span = GoldSpan(3, 10, "DOCTOR", " SMITH ")
    assert span_status(text, span, [Span(4, 9, "DOCTOR")]) == ("removed", "")
    assert span_status(text, span, []) == ("untouched", " SMITH ")
    assert span_status(text, span, [Span(4, 6, "DOCTOR")]) == ("partial", " ……ITH ")


def test_leak_file_holds_surviving_text_only_locally(tmp_path) -> None:
    path = tmp_path / "leaks.tsv"
    assert write_leak_file(path, CORPUS, PREDICTED) == 3
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].split("\t")[0] == "note_id"
    assert lines[1:] == [
        "a\t0\t7\tPATIENT\tpartial\tAna Lee\t……… Lee",
        "a\t28\t31\tHOSPITAL\tuntouched\tRGH\tRGH",
        "a\t38\t50\tPHONE\tpartial\t555-201-7788\t………-201-7788",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["leaks.tsv"]

"""The `phibench run text-deid` job: notes in, one scored row per system out.

Which notes train and which score (the fixed rule, also in the spec):
- `embedded`: the scored notes are generated from the data seed; systems that
  train (the CRF) learn on a separate embedded set from the training seed;
- any other corpus: split by patient with `split_by_patient`'s fixed rule;
  systems train on the development part plus an embedded training set and are
  scored on the test part only. Hand-written rules were tuned on the same
  development material, never on a test part.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from phibench.errors import InputError
from phibench.runner import provenance, rundir
from phibench.runner.dp_analytics_job import JobResult
from phibench.spec import packaged_spec
from phibench.text import report
from phibench.text.document import Corpus, Span
from phibench.text.systems import DeidSystem, make_system, parse_system_names
from phibench.tracking import (
    TrackingError,
    check_tracking_uri,
    default_tracking_uri,
    log_run,
)

logger = logging.getLogger(__name__)

BENCHMARK_ID = "text-deid"
N_EMBEDDED_TRAINING_NOTES = 200
WARM_UP_TEXT = "Seen by Dr. Smith on 3/4, call 617-555-0134."


@dataclass(frozen=True)
class TextJobOptions:
    corpus: str = "embedded"
    data_dir: Path | None = None
    systems: tuple[str, ...] = field(default_factory=lambda: parse_system_names(None))
    seed: int = 1
    n_notes: int | None = None
    n_training_notes: int = N_EMBEDDED_TRAINING_NOTES  # embedded notes for training
    n_boot: int = 1000
    show_leaks: bool = False
    surrogate_system: str | None = None  # None: the best system
    out_dir: Path = Path("phibench-runs")
    tracking_uri: str | None = None


@dataclass(frozen=True)
class TextSeeds:
    """Child seeds of the root seed (numpy SeedSequence.spawn)."""

    root: int
    data: int
    training: int
    bootstrap: int
    surrogates: int

    @classmethod
    def from_root(cls, root: int) -> TextSeeds:
        children = np.random.SeedSequence(root).spawn(4)
        data, training, bootstrap, surrogates = (
            int(child.generate_state(1)[0]) for child in children
        )
        return cls(root, data, training, bootstrap, surrogates)

    def record(self) -> dict[str, Any]:
        return {
            "root_seed": self.root,
            "derivation": "numpy.random.SeedSequence(root).spawn: data, training, "
            "bootstrap, surrogates",
            "data_seed": self.data,
            "training_seed": self.training,
            "bootstrap_seed": self.bootstrap,
            "surrogate_seed": self.surrogates,
            "split_rule": "phibench.text.splits.split_by_patient, seed "
            "DEFAULT_SPLIT_SEED (0), test_fraction 0.5",
        }


def validate(options: TextJobOptions) -> None:
    """Check what can be checked before any note is read or folder is made."""
    from phibench.text.corpora import corpus_choices
    from phibench.text.systems.hf import check_model_folder

    if isinstance(options.seed, bool) or not isinstance(options.seed, int):
        raise InputError(f"--seed {options.seed!r}: must be an integer >= 0")
    if options.seed < 0:
        raise InputError(f"--seed {options.seed}: must be an integer >= 0, e.g. 1")
    if options.corpus not in corpus_choices():
        raise InputError(
            f"--corpus {options.corpus}: not a text dataset id nor a format; use "
            f"one of {', '.join(corpus_choices())}"
        )
    if options.data_dir is not None and not Path(options.data_dir).is_dir():
        raise InputError(
            f"--data-dir {options.data_dir}: no such folder; give the folder of "
            f"the {options.corpus} notes"
        )
    if options.n_training_notes < 1:
        raise InputError(
            f"--n-training-notes {options.n_training_notes}: must be at least 1"
        )
    if options.n_boot < 1:
        raise InputError(f"--n-boot {options.n_boot}: must be at least 1")
    for name in parse_system_names(options.systems):
        if name.startswith("hf:"):
            check_model_folder(Path(name[3:]))
    wanted = options.surrogate_system
    if wanted is not None and wanted not in options.systems:
        raise InputError(
            f"--surrogates-from {wanted}: not among --systems "
            f"({', '.join(options.systems)}); name one of them or leave it out"
        )


def run_job(options: TextJobOptions) -> JobResult:
    """Load, train, predict, score, judge, write the run folder, track it."""
    validate(options)
    if options.tracking_uri is not None:
        check_tracking_uri(options.tracking_uri)
    seeds = TextSeeds.from_root(options.seed)
    name = rundir.run_name(BENCHMARK_ID, options.corpus)
    with rundir.staged_run(options.out_dir, name) as (partial, final):
        record = _run_in(partial, options, seeds, name)
    # MLflow records the published folder: a stop while it records leaves
    # the results whole, and the MLflow run KILLED
    return record(final)


def load_parts(options: TextJobOptions, seeds: TextSeeds) -> tuple[Corpus, Corpus]:
    """(training notes, scored notes) by the fixed rule of the module docstring."""
    from phibench.text.corpora import load_corpus
    from phibench.text.embedded import generate_notes
    from phibench.text.splits import split_by_patient

    embedded_train = generate_notes(options.n_training_notes, seed=seeds.training)
    corpus = load_corpus(
        options.corpus, options.data_dir, n_notes=options.n_notes, seed=seeds.data
    )
    if options.corpus == "embedded":
        return embedded_train, corpus
    dev, test = split_by_patient(corpus)
    if len(test) == 0 or len(dev) == 0:
        raise InputError(
            f"--corpus {options.corpus}: the {len(corpus)} notes come from too few "
            "patients to split into development and test parts; give more notes"
        )
    documents = (*dev.documents, *embedded_train.documents)
    training = Corpus(
        name=f"{dev.name} + embedded", language=dev.language, documents=documents
    )
    return training, test


def run_system(
    name: str, training: Corpus, test: Corpus, *, seed: int
) -> tuple[DeidSystem, dict[str, list[Span]], dict[str, Any]]:
    """Train (if the system learns) and predict every scored note; time both."""
    settings: dict[str, Any] = {"seed": seed} if name == "crf" else {}
    system = make_system(name, **settings)
    started = time.perf_counter()
    system.fit(list(training.documents))
    system.predict(WARM_UP_TEXT)  # lazy model loading is not prediction time
    fitted = time.perf_counter()
    predictions = {doc.note_id: system.predict(doc.text) for doc in test}
    done = time.perf_counter()
    n_chars = sum(len(doc.text) for doc in test)
    timing = {
        "fit_and_load_s": fitted - started,
        "predict_s": done - fitted,
        "n_characters": n_chars,
        "characters_per_s": n_chars / max(done - fitted, 1e-9),
    }
    logger.info(
        "%s: %d spans predicted on %d notes in %.1f s",
        name,
        sum(len(v) for v in predictions.values()),
        len(test),
        done - fitted,
    )
    return system, predictions, timing


def score_system(
    test: Corpus, predictions: dict[str, list[Span]], *, n_boot: int, seed: int
) -> dict[str, Any]:
    """A's scoring views, the i2b2-2014 mode and the leak counts (no PHI text)."""
    from phibench.text.leaks import leak_report
    from phibench.text.scoring import evaluate, evaluate_i2b2_2014

    return {
        "views": evaluate(test, predictions, n_boot=n_boot, seed=seed),
        "i2b2_2014": evaluate_i2b2_2014(test, predictions),
        "leaks": leak_report(test, predictions),
    }


def _run_in(
    partial: Path, options: TextJobOptions, seeds: TextSeeds, name: str
) -> Callable[[Path], JobResult]:
    """Run, write the folder, and return how MLflow records it once published."""
    started = time.perf_counter()
    spec = packaged_spec(BENCHMARK_ID)
    training, test = load_parts(options, seeds)
    logger.info(
        "%s: %d training notes, %d scored notes of %d patients (%d gold spans)",
        options.corpus,
        len(training),
        len(test),
        len(test.patient_ids),
        test.n_spans,
    )
    systems: dict[str, dict[str, Any]] = {}
    all_predictions: dict[str, dict[str, list[Span]]] = {}
    settings: dict[str, Any] = {}
    for system_name in options.systems:
        system, predictions, timing = run_system(
            system_name, training, test, seed=seeds.training
        )
        scores = score_system(
            test, predictions, n_boot=options.n_boot, seed=seeds.bootstrap
        )
        systems[system_name] = {**scores, "timing": timing}
        systems[system_name]["headline"] = report.headline(systems[system_name])
        all_predictions[system_name] = predictions
        settings[system_name] = getattr(system, "settings", dict)()

    metrics = report.metrics_record(systems, test, training)
    metrics["criteria"] = report.judge(spec, metrics)
    metrics["metric_definitions"] = [m.model_dump() for m in spec.metrics]
    metrics["timing"] = {"total_s": time.perf_counter() - started}
    chosen = options.surrogate_system or metrics["best_system"]
    params = _params(options, seeds, test, training, settings, chosen)
    _write_outputs(partial, options, metrics, params, test, all_predictions, seeds)
    return functools.partial(_track, options, metrics, params, name, test)


def _params(
    options: TextJobOptions,
    seeds: TextSeeds,
    test: Corpus,
    training: Corpus,
    settings: dict[str, Any],
    chosen: str,
) -> dict[str, Any]:
    versions = provenance.library_versions()
    versions |= report.text_library_versions()
    return {
        "benchmark": BENCHMARK_ID,
        "corpus": {
            "id": options.corpus,
            "source": test.source or "generated",
            "language": test.language,
            "data_use": {
                "third_party_sharing": test.data_use.third_party_sharing,
                "restricted": test.data_use.restricted,
            },
            "n_notes_requested": options.n_notes,
        },
        "systems": list(options.systems),
        "system_settings": settings,
        "n_training_notes": len(training),
        "n_scored_notes": len(test),
        "n_embedded_training_notes": options.n_training_notes,
        "n_boot": options.n_boot,
        "surrogates_from": chosen,
        "show_leaks": options.show_leaks,
        "seeds": seeds.record(),
        "library_versions": versions,
        "platform": provenance.platform_record(),
    }


def _write_outputs(
    partial: Path,
    options: TextJobOptions,
    metrics: dict[str, Any],
    params: dict[str, Any],
    test: Corpus,
    predictions: dict[str, dict[str, list[Span]]],
    seeds: TextSeeds,
) -> None:
    from phibench.text.corpora import corpus_format
    from phibench.text.leaks import write_leak_file
    from phibench.text.surrogates import surrogate_corpus, write_corpus

    rundir.write_json(partial / "params.json", params)
    rundir.write_json(partial / "metrics.json", metrics)
    report.write_tables(metrics, partial)
    report.recall_plot(
        metrics,
        partial / "recall_per_category.png",
        title=f"text-deid on {options.corpus}: token recall per PHI category "
        f"({len(test)} scored notes)",
    )
    chosen = params["surrogates_from"]
    surrogates = surrogate_corpus(test, predictions[chosen], seed=seeds.surrogates)
    fmt = corpus_format(options.corpus)  # the input's own format
    written = write_corpus(partial / "deidentified", surrogates, fmt=fmt)
    logger.info("de-identified corpus by %s: %d %s files", chosen, len(written), fmt)
    if options.show_leaks:
        folder = partial / "leaks"
        folder.mkdir(mode=0o700)  # surviving PHI text: owner only
        for system_name, system_predictions in predictions.items():
            path = folder / f"{report.file_stem(system_name)}.tsv"
            n_spans = write_leak_file(path, test, system_predictions)
            path.chmod(0o600)
            logger.info("leak file of %s: %d spans (local only)", system_name, n_spans)


def _track(
    options: TextJobOptions,
    metrics: dict[str, Any],
    params: dict[str, Any],
    name: str,
    test: Corpus,
    folder: Path,
) -> JobResult:
    """MLflow gets aggregates only: note text stays in the local run folder."""
    tracking_uri = options.tracking_uri or default_tracking_uri(workdir=Path.cwd())
    result = JobResult(folder, metrics["criteria"], metrics, tracking_uri, None)
    with report.aggregate_copy(folder) as aggregates:
        try:
            result.mlflow_run_id = log_run(
                tracking_uri=tracking_uri,
                experiment=f"phibench-{BENCHMARK_ID}",
                run_name=name,
                params=params,
                metrics=report.mlflow_metrics(metrics),
                artifacts_dir=aggregates,
                tags={"dataset": options.corpus, "benchmark": BENCHMARK_ID},
                data_use=test.data_use,
                row_level_artifacts=(),  # the copy holds aggregates only
            )
        except TrackingError as error:
            result.tracking_error = str(error)
    return result

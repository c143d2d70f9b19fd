"""phibench's own rule baseline: regexes and word lists with context.

A deliberately transparent system: every span comes from one named detector in
`rules_patterns` or a context rule in `rules_names`, so a miss or a false alarm
can be traced to one line. It has nothing to train (`fit` is a no-op).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from phibench.text.document import Document, Span
from phibench.text.systems import rules_patterns as patterns
from phibench.text.systems.base import resolve_overlaps
from phibench.text.systems.rules_names import STOP_WORDS, find_names, word_set

#: Detector groups in priority order: on overlapping matches of equal length,
#: the earlier group's label wins (an SSN-shaped number is an SSN, not a phone).
DETECTOR_GROUPS = (
    patterns.IDS,
    patterns.CONTACTS,
    patterns.DATES,
    patterns.AGES,
    patterns.LOCATIONS,
)

#: Upper-case words after "to"/"from" that are units and services, not places.
CLINICAL_ABBREVIATIONS = word_set(
    """
    ICU MICU SICU CCU CSRU CVICU NICU PICU TSICU ER ED OR PACU CT MRI CXR EKG
    ECG IR CATH LAB HD IV PO PR NG OGT NGT PEG RA NC BIPAP CPAP ABG VBG BP HR
    RR SBP MAP DNR DNI ICD PT OT SW NP MD RN ADL ADLS REHAB HOME FLOOR UNIT
    SOB CHF CAD COPD MI ARDS UTI GI GU CV ID NEURO RESP SKIN AM PM NOC BID TID
    QID PRN QD QHS BED CHAIR BSC AND THE FOR WITH ALL PER NOT NON MAE OOB EEG
    US KUB CBC BMP LFT INR PTT TEE TTE ABX NS LR D5W PRBC FFP PLT
    """
)


FACILITY_WORDS = word_set(
    """
    hospital medical center health clinic infirmary nursing home rehab
    rehabilitation vamc memorial general way st street ave avenue rd road drive
    dr lane ln court ct place pl square sq
    """
)


class RuleSystem:
    """Regex and context-word detectors; labels are taxonomy subtypes."""

    name = "rules"

    def __init__(self, *, names: bool = True) -> None:
        self.names = names

    def fit(self, documents: Sequence[Document]) -> None:
        """Nothing to learn: the rules are fixed."""

    def predict(self, text: str) -> list[Span]:
        ranked = list(self._pattern_spans(text))
        if self.names:
            ranked.extend((span, len(DETECTOR_GROUPS)) for span in find_names(text))
        return resolve_overlaps(text, ranked)

    def _pattern_spans(self, text: str) -> Iterable[tuple[Span, int]]:
        for rank, group in enumerate(DETECTOR_GROUPS):
            for detector in group:
                for match in detector.pattern.finditer(text):
                    start, end = match.span("phi")
                    if start == end or _is_clinical_word(detector, match["phi"]):
                        continue
                    yield Span(start, end, detector.label), rank


def _is_clinical_word(detector: patterns.Detector, surface: str) -> bool:
    """A place-shaped match with no word that could be a name.

    "BACK TO THE HOSPITAL" or "TO ICU" in an upper-case note: every word is a
    stop word, a facility word or a unit or service abbreviation.
    """
    if detector.label not in {"HOSPITAL", "CITY", "STREET"}:
        return False
    words = [word.strip(".,'") for word in surface.upper().split()]
    return all(
        word in CLINICAL_ABBREVIATIONS
        or word.lower() in STOP_WORDS
        or word.lower() in FACILITY_WORDS
        or word.isdigit()
        for word in words
    )

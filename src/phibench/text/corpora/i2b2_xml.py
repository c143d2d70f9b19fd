"""i2b2/n2c2 2014 XML (and MEDDOCAN's copy of it).

A file holds `<TEXT><![CDATA[...]]></TEXT>` and `<TAGS>` whose children are
named by category (NAME, DATE, ...) with `start`, `end`, `text` and `TYPE`
attributes; offsets count characters of the CDATA text. The subtype is
`TYPE`, mapped through the corpus label maps. i2b2 names its files
`<patient>-<note>.xml`: the patient id comes from that name when it has this
form, otherwise each file is its own patient.

XML parsers normalise CRLF to LF inside CDATA, which would shift every later
offset; the text is therefore sliced from the raw file between the CDATA
markers, as stored. For the same reason a `text` attribute cannot hold a line
break (it becomes a space), so a span across lines is checked with that
normalisation.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from phibench.errors import DataLayoutError
from phibench.text.corpora._files import gold_span, read_text, require_files
from phibench.text.document import Document, GoldSpan

EXPECTED = "i2b2-2014 XML files (<TEXT><![CDATA[...]]></TEXT> and <TAGS>)"

_CDATA = re.compile(r"<TEXT>\s*<!\[CDATA\[(.*?)\]\]>\s*</TEXT>", re.DOTALL)
_I2B2_NAME = re.compile(r"^(\d+)-(\d+)$")
#: what XML attribute-value normalisation turns into a space
_ATTRIBUTE_SPACE = re.compile(r"\r\n|[\r\n\t]")


def read_i2b2_xml(folder: Path) -> list[Document]:
    """Every .xml file under `folder`; note id = relative path without suffix."""
    documents = []
    for path in require_files(folder, "*.xml", EXPECTED):
        key = path.relative_to(folder).with_suffix("").as_posix()
        documents.append(_document(path, key))
    return documents


def _document(path: Path, key: str) -> Document:
    raw = read_text(path)
    match = _CDATA.search(raw)
    if match is None:
        raise DataLayoutError(
            f"{path}: no <TEXT><![CDATA[...]]></TEXT>; the folder must hold {EXPECTED}"
        )
    try:
        root = ET.fromstring(raw.encode("utf-8"))
    except ET.ParseError as error:
        raise DataLayoutError(f"{path}: not well-formed XML ({error})") from None
    text = match.group(1)
    spans = [_span(path, key, text, tag) for tag in root.iterfind("./TAGS/*")]
    name = _I2B2_NAME.match(path.stem)
    patient = name.group(1) if name else key
    return Document(key, patient, text, tuple(spans))


def _span(path: Path, key: str, text: str, tag: ET.Element) -> GoldSpan:
    where = f"{path.name} tag {tag.get('id', '?')} (note {key})"
    start, end = tag.get("start", ""), tag.get("end", "")
    if not (start.isdigit() and end.isdigit()):
        raise DataLayoutError(
            f"{where}: start={start!r} end={end!r} are not integer offsets"
        )
    label = tag.get("TYPE") or tag.tag
    surface = tag.get("text", "")
    stored = text[int(start) : int(end)]
    if surface != stored and surface == _ATTRIBUTE_SPACE.sub(" ", stored):
        # XML turns a line break inside an attribute into a space, so the
        # recorded surface of a span across lines cannot match: the text can.
        surface = stored
    return gold_span(where, int(start), int(end), label, surface)

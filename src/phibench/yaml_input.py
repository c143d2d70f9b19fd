"""Reading user-written YAML (specs, the registry, roles files) with one-line errors."""

from __future__ import annotations

import yaml

from phibench.errors import InputError


def parse_yaml(
    text: str, *, source: str, error: type[InputError] = InputError, hint: str = ""
) -> object:
    """`yaml.safe_load(text)`; a syntax error names `source` and the line."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise error(f"{source}: not valid YAML{where}{hint}") from None

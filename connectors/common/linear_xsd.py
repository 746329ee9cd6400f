"""XSD patterns in linear time, for every schema xmlschema builds in this process (ELIN, IPLOS).

xmlschema compiles ``xs:pattern`` facets with Python's backtracking ``re``; some standard patterns (the KITH
``oid``, ``(\\d+\\.?)*\\d+``) take exponential time on a long digit run followed by a letter. Importing this
module makes xmlschema compile each pattern with RE2 (google-re2, no backtracking) as it builds the facet,
also for the components it builds on demand while validating; a pattern RE2 cannot run fails the schema's
build instead of falling back to ``re``.
"""

from __future__ import annotations

import re
from typing import Any

import re2  # type: ignore[import-untyped]  # google-re2 ships no type information
from xmlschema.validators.facets import XsdPatternFacets

from hub.errors import ConfigError

_PY_END = "$(?!\\n\\Z)"
"""How xmlschema's translation ends a pattern (end of text, not before a final newline)."""
_UNICODE_DIGIT = re.compile(r"(?<!\\)((?:\\\\)*)\\d")
"""An unescaped ``\\d``: XSD (and Python) mean any Unicode decimal digit, RE2's ``\\d`` is ASCII only."""


class LinearPattern:
    """An XSD pattern compiled by RE2, with the ``match``/``pattern`` of the ``re.Pattern`` it replaces."""

    __slots__ = ("_re2", "pattern")

    def __init__(self, python_pattern: str) -> None:
        self.pattern = python_pattern
        body = python_pattern
        if body.startswith("^") and body.endswith(_PY_END):
            body = "\\A" + body[1 : -len(_PY_END)] + "\\z"
        body = _UNICODE_DIGIT.sub(lambda m: m.group(1) + "\\p{Nd}", body)
        options = re2.Options()
        options.log_errors = False
        try:
            self._re2 = re2.compile(body, options)
        except re2.error as exc:
            raise ConfigError(
                f"XSD pattern {python_pattern!r} cannot run without backtracking: {exc}"
            ) from exc

    def match(self, text: str) -> Any:
        """The match at the start of ``text`` (the pattern is anchored at both ends), or None."""
        return self._re2.match(text)

    def __repr__(self) -> str:
        return f"LinearPattern({self.pattern!r})"


def compile_linear() -> None:
    """Make xmlschema compile every pattern facet with RE2 as it builds it, also the components it builds
    while validating (which :func:`linear_patterns` can only reach afterwards). This reaches into a
    private method, ``XsdPatternFacets._parse_value``: checked here, at import, so an xmlschema without it
    fails loudly instead of leaving patterns on ``re``."""
    original = getattr(XsdPatternFacets, "_parse_value", None)
    if getattr(original, "linear", False):
        return
    if original is None or not callable(original):
        raise ConfigError(
            "xmlschema changed: XsdPatternFacets._parse_value is gone, so XSD patterns cannot be made "
            "linear (see connectors/plo/schemas.py)"
        )

    def parse_value(self: XsdPatternFacets, elem: Any) -> Any:
        compiled = original(self, elem)
        return compiled if isinstance(compiled, LinearPattern) else LinearPattern(compiled.pattern)

    parse_value.linear = True  # type: ignore[attr-defined]
    XsdPatternFacets._parse_value = parse_value  # type: ignore[method-assign]


compile_linear()

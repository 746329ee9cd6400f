"""Helpers of the ops tests: find external tools (promtool, helm, kubeconform, docker-compose), run them.

Policy: when a tool is missing, a developer's run skips with the install script to run; under CI=true
the test fails instead, because CI must have run the scripts/ci-*.sh installers.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _go_bin_dirs() -> list[Path]:
    dirs = []
    if os.environ.get("GOBIN"):
        dirs.append(Path(os.environ["GOBIN"]))
    for gopath in os.environ.get("GOPATH", "").split(os.pathsep):
        if gopath:
            dirs.append(Path(gopath) / "bin")
    dirs.append(Path.home() / "go" / "bin")
    return dirs


def find_tool(name: str, installer: str) -> str:
    """Path of ``name`` (PATH or Go's bin directories); skip, or fail under CI=true, when missing."""
    found = shutil.which(name)
    if found is None:
        for directory in _go_bin_dirs():
            candidate = directory / name
            if candidate.is_file() and os.access(candidate, os.X_OK):
                found = str(candidate)
                break
    if found is not None:
        return found
    message = f"{name} is not installed; run `bash {installer}`"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true: the CI script must install it)")
    pytest.skip(message)


def run(
    args: list[str], *, cwd: Path = REPO, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a command (``env`` added to the environment), capturing text output, never raising on failure."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        args, cwd=cwd, input=stdin, env=full_env, capture_output=True, text=True, check=False, timeout=240
    )


_PROMQL_DROP = [
    re.compile(r'"(?:[^"\\]|\\.)*"'),  # strings (label values)
    re.compile(r"\{[^}]*\}"),  # label matchers
    re.compile(r"\[[^\]]*\]"),  # range and subquery selectors
    re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)"),  # grouping label lists
    re.compile(r"\boffset\s+\d+[smhdwy]"),
]
_PROMQL_KEYWORDS = {
    "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "bool",
    "offset", "sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile",
    "count_values", "group", "inf", "nan",
}  # fmt: skip
_IDENT = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")


def promql_metric_names(expr: str) -> set[str]:
    """Metric names a PromQL expression selects (identifiers that are not functions, keywords or labels)."""
    text = expr
    for pattern in _PROMQL_DROP:
        text = pattern.sub(" ", text)
    names = set()
    for match in _IDENT.finditer(text):
        word = match.group(0)
        rest = text[match.end() :].lstrip()
        if rest.startswith("(") or word.lower() in _PROMQL_KEYWORDS or word.startswith("$"):
            continue
        if match.start() > 0 and text[match.start() - 1] in "$0123456789.":
            continue  # Grafana variables ($__rate_interval) and numbers like 1e3
        names.add(word)
    return names

"""The ops tests skip locally but fail under CI=true when an external tool is missing."""

from __future__ import annotations

from pathlib import Path

import pytest
from opstools import find_tool


@pytest.fixture
def no_tools(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """An environment where no tool can be found on PATH or in Go's bin directories."""
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("GOBIN", raising=False)
    monkeypatch.delenv("GOPATH", raising=False)


@pytest.mark.usefixtures("no_tools")
def test_missing_tool_skips_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without CI=true a missing tool skips the test and names the installer."""
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"scripts/ci-helm-tools\.sh"):
        find_tool("helm", "scripts/ci-helm-tools.sh")


@pytest.mark.usefixtures("no_tools")
def test_missing_tool_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """Under CI=true a missing tool fails the test instead of skipping it."""
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        find_tool("promtool", "scripts/ci-prometheus.sh")


def test_tool_in_go_bin_is_found(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A tool installed by `go install` into $GOPATH/bin is found even when that is not on PATH."""
    tool = tmp_path / "gopath" / "bin" / "kubeconform"
    tool.parent.mkdir(parents=True)
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setenv("GOPATH", str(tmp_path / "gopath"))
    assert find_tool("kubeconform", "scripts/ci-helm-tools.sh") == str(tool)

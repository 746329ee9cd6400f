"""The worker's web server never starts plaintext outside development: with ``HUB_ENV`` not ``dev`` and no
``HUB_TLS__CERT_FILE``, the worker stops before it touches the broker and says why in one line (the same
check the connectors and the board fail closed with, :func:`hub.tls.listener_context`)."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path
from typing import NoReturn

import pytest
from pydantic import SecretStr

import agents.startup
from agents.app import WorkerOptions
from agents.startup import WorkerStartError, prepare_worker
from hub.settings import HubSettings, PseudonymSettings, RegistrySettings, TlsSettings, settings_env
from tests.security.certs import make_pki

REPO = Path(__file__).resolve().parents[2]
SECRET_KEY = "a-production-key-of-this-test-" + "x" * 20


def _production(tmp_path: Path, **update: object) -> HubSettings:
    settings = HubSettings(
        env="production",
        data_dir=tmp_path / "data",
        registry=RegistrySettings(url=None),
        pseudonym=PseudonymSettings(keys={"k": SecretStr(SECRET_KEY)}, active_key_id="k"),
    )
    return settings.model_copy(update=update)


def _no_broker(*_: object, **__: object) -> NoReturn:
    raise AssertionError("the worker reached for the broker before refusing plaintext")


def test_worker_without_tls_refused_outside_dev(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Production without a certificate: WorkerStartError naming HUB_TLS__CERT_FILE, before any broker."""
    monkeypatch.setattr(agents.startup, "with_partitions", _no_broker)
    with pytest.raises(WorkerStartError) as caught:
        prepare_worker(_production(tmp_path), WorkerOptions(app_id="tls-refused"))
    message = str(caught.value)
    assert message.startswith("worker cannot start: no TLS certificate for the listeners")
    assert "HUB_TLS__CERT_FILE" in message
    assert "\n" not in message


@pytest.mark.parametrize("case", ["dev", "allow_plaintext", "certificate"])
def test_worker_tls_check_passes(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Development, TLS terminated in front (HUB_TLS__ALLOW_PLAINTEXT) or a certificate: the check lets the
    worker go on to the broker (here: the stand-in that stops it)."""
    monkeypatch.setattr(agents.startup, "with_partitions", _no_broker)
    if case == "dev":
        settings = _production(tmp_path, env="dev")
    elif case == "allow_plaintext":
        settings = _production(tmp_path, tls=TlsSettings(allow_plaintext=True))
    else:
        pki = make_pki(tmp_path / "pki")
        settings = _production(tmp_path, tls=TlsSettings(cert_file=pki.server_cert, key_file=pki.server_key))
    with pytest.raises(AssertionError, match="reached for the broker"):
        prepare_worker(settings, WorkerOptions(app_id="tls-passes"))


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.timeout(90)
def test_hub_worker_without_tls_exits_with_one_line(tmp_path: Path) -> None:
    """``hub worker`` in production without a certificate exits 1 at once, its last line the reason (no
    broker listens at the configured address: the check comes first)."""
    settings = _production(tmp_path)
    nowhere = settings.kafka.model_copy(update={"bootstrap_servers": f"127.0.0.1:{_closed_port()}"})
    settings = settings.model_copy(update={"kafka": nowhere})
    env = settings_env(settings)
    env["HUB_PSEUDONYM__KEYS"] = f'{{"k": "{SECRET_KEY}"}}'
    env["HUB_PSEUDONYM__ACTIVE_KEY_ID"] = "k"
    done = subprocess.run(
        [sys.executable, "-m", "hub.cli", "worker", "--app-id", "tls-cli", "--clock", "event"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1, done.stderr[-2000:]
    assert lines[-1].startswith("error: worker cannot start: no TLS certificate for the listeners"), lines[-1]

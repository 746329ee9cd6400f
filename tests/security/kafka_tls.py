"""A separate Kafka broker with SSL, SASL_SSL and mutual-TLS listeners, for the TLS tests only.

It has its own ports, state and data directory under the test's temporary directory (the session broker at
127.0.0.1:9092 is never touched) and reuses the cached Kafka jars of ``hub infra``. The certificates are
made at test time (:mod:`tests.security.certs`); Kafka reads them as PEM. The ``MTLS`` listener speaks SSL
with ``ssl.client.auth=required``: only a client presenting a certificate signed by the test CA gets in.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from confluent_kafka.admin import AdminClient

from hub.infra import kafka as kafka_service
from hub.infra.process import marker
from hub.settings import InfraSettings
from tests.security.certs import Pki

SASL_USER = "hub"
SASL_PASSWORD = "hub-secret-for-tests"  # noqa: S105 - a throwaway broker of the test


@dataclass(frozen=True)
class TlsBroker:
    """Where the TLS broker listens."""

    plaintext: str
    ssl: str
    sasl_ssl: str
    mtls: str
    """SSL listener that requires a client certificate (``ssl.client.auth=required``)."""
    pki: Pki


def _free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _tls_properties(base: str, ports: list[int], pki: Pki, keystore: Path) -> str:
    plain, ssl_port, sasl_port, mtls_port, controller = ports
    jaas = (
        "org.apache.kafka.common.security.plain.PlainLoginModule required "
        f'user_{SASL_USER}="{SASL_PASSWORD}";'
    )
    overrides = {
        "listeners": (
            f"PLAINTEXT://127.0.0.1:{plain},SSL://127.0.0.1:{ssl_port},"
            f"SASL_SSL://127.0.0.1:{sasl_port},MTLS://127.0.0.1:{mtls_port},"
            f"CONTROLLER://127.0.0.1:{controller}"
        ),
        "advertised.listeners": (
            f"PLAINTEXT://127.0.0.1:{plain},SSL://127.0.0.1:{ssl_port},SASL_SSL://127.0.0.1:{sasl_port},"
            f"MTLS://127.0.0.1:{mtls_port}"
        ),
        "listener.security.protocol.map": (
            "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_SSL:SASL_SSL,MTLS:SSL,CONTROLLER:PLAINTEXT"
        ),
        "ssl.keystore.type": "PEM",
        "ssl.keystore.location": str(keystore),
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": str(pki.ca),
        "ssl.client.auth": "none",
        "listener.name.mtls.ssl.client.auth": "required",
        "sasl.enabled.mechanisms": "PLAIN",
        "listener.name.sasl_ssl.plain.sasl.jaas.config": jaas,
    }
    kept = [line for line in base.splitlines() if line.split("=", 1)[0] not in overrides]
    return "\n".join([*kept, *(f"{k}={v}" for k, v in overrides.items())]) + "\n"


def _ready(bootstrap: str) -> bool:
    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 0})
    try:
        admin.list_topics(timeout=2)
    except Exception:
        return False
    return True


@contextlib.contextmanager
def tls_broker(root: Path, pki: Pki) -> Iterator[TlsBroker]:
    """Start the broker, yield its addresses, stop it (this process group only) and leave its files."""
    ports = _free_ports(5)
    infra = InfraSettings(
        state_dir=root / "state", kafka_port=ports[0], kafka_controller_port=ports[4], auto_create_topics=True
    )
    java = kafka_service.java(infra)
    argv = kafka_service.prepare(infra, java)
    keystore = root / "broker-keystore.pem"
    keystore.write_bytes(pki.server_key.read_bytes() + pki.server_cert.read_bytes())
    config = kafka_service.state(infra) / "server.properties"
    config.write_text(_tls_properties(config.read_text(), ports, pki, keystore))
    argv = [a if a != marker(kafka_service.NAME) else "-Dhub.test.service=kafka-tls" for a in argv]
    log = (root / "broker.out").open("wb")
    process = subprocess.Popen(
        argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
    )
    try:
        bootstrap = f"127.0.0.1:{ports[0]}"
        deadline = time.monotonic() + 120
        while not _ready(bootstrap):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = (kafka_service.state(infra) / "server.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"TLS test broker did not start:\n{tail}")
            time.sleep(0.5)
        plain, ssl_, sasl_ssl, mtls = (f"127.0.0.1:{port}" for port in ports[:4])
        yield TlsBroker(plain, ssl_, sasl_ssl, mtls, pki)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        log.close()

"""Security of the faust app's configuration: faust's own web views off, Kafka TLS and SASL_SSL honoured."""

from __future__ import annotations

import ssl
from pathlib import Path

import faust
from pydantic import SecretStr

from agents.app import WorkerOptions, make_faust_app
from hub.settings import HubSettings, KafkaSettings


def _app(tmp_path: Path, kafka: KafkaSettings | None = None) -> faust.App:
    settings = HubSettings(data_dir=tmp_path, kafka=kafka or KafkaSettings())
    return make_faust_app(settings, WorkerOptions(app_id="sec-test"))


def test_faust_table_and_router_views_are_off(tmp_path: Path) -> None:
    """faust's /table/ and /router/ views (patient state without auth) are not served by the worker."""
    conf = _app(tmp_path).conf
    assert conf.web_tables_enabled is False
    assert conf.web_router_enabled is False


def test_sasl_ssl_is_sasl_over_verified_tls(tmp_path: Path) -> None:
    """SASL_SSL gives faust SASL credentials over a verifying TLS context, not SASL_PLAINTEXT."""
    kafka = KafkaSettings(
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username="hub",
        sasl_password=SecretStr("pw"),
    )
    credentials = _app(tmp_path, kafka).conf.broker_credentials
    assert isinstance(credentials, faust.SASLCredentials)
    assert credentials.protocol.value == "SASL_SSL"
    assert credentials.ssl_context is not None
    assert credentials.ssl_context.verify_mode == ssl.CERT_REQUIRED
    assert credentials.ssl_context.check_hostname


def test_ssl_is_tls_not_plaintext(tmp_path: Path) -> None:
    """SSL gives faust SSL credentials that verify the broker certificate and host name."""
    credentials = _app(tmp_path, KafkaSettings(security_protocol="SSL")).conf.broker_credentials
    assert isinstance(credentials, faust.SSLCredentials)
    assert credentials.protocol.value == "SSL"
    assert credentials.context.verify_mode == ssl.CERT_REQUIRED
    assert credentials.context.check_hostname


def test_plaintext_has_no_credentials(tmp_path: Path) -> None:
    """PLAINTEXT (development) needs no credentials."""
    assert _app(tmp_path).conf.broker_credentials is None

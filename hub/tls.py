"""TLS contexts for every listener and every Kafka client, built from :class:`hub.settings.TlsSettings` and
:class:`hub.settings.KafkaSettings`.

A listener serves TLS when ``HUB_TLS__CERT_FILE`` and ``HUB_TLS__KEY_FILE`` are set; with
``HUB_TLS__CLIENT_CA_FILE`` it also requires a client certificate signed by that CA (mutual TLS). Client
contexts always verify the server certificate and its host name. Nothing here opens a socket.
"""

from __future__ import annotations

import ssl
from pathlib import Path

from hub.errors import ConfigError
from hub.settings import HubSettings, KafkaSettings, TlsSettings


def server_context(tls: TlsSettings) -> ssl.SSLContext | None:
    """The server-side context of a listener, or None when TLS is not configured (development)."""
    if tls.cert_file is None and tls.key_file is None:
        if tls.client_ca_file is not None:
            raise ConfigError("HUB_TLS__CLIENT_CA_FILE needs HUB_TLS__CERT_FILE and HUB_TLS__KEY_FILE")
        return None
    if tls.cert_file is None or tls.key_file is None:
        raise ConfigError("HUB_TLS__CERT_FILE and HUB_TLS__KEY_FILE must be set together")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(str(tls.cert_file), str(tls.key_file))
        if tls.client_ca_file is not None:
            context.load_verify_locations(cafile=str(tls.client_ca_file))
            context.verify_mode = ssl.CERT_REQUIRED
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"TLS certificate or key could not be loaded: {exc}") from exc
    return context


def listener_context(settings: HubSettings) -> ssl.SSLContext | None:
    """The context every listener uses; outside ``HUB_ENV=dev`` a listener without TLS is refused (unless
    ``HUB_TLS__ALLOW_PLAINTEXT``)."""
    context = server_context(settings.tls)
    if context is None and settings.env != "dev" and not settings.tls.allow_plaintext:
        raise ConfigError(
            "no TLS certificate for the listeners: set HUB_TLS__CERT_FILE and HUB_TLS__KEY_FILE "
            "(HUB_TLS__ALLOW_PLAINTEXT=true only where TLS is terminated in front of the hub)"
        )
    return context


def client_context(
    cafile: Path | None, certfile: Path | None = None, keyfile: Path | None = None
) -> ssl.SSLContext:
    """A verifying client context (system CAs, or ``cafile``), with a client certificate when given."""
    try:
        context = ssl.create_default_context(cafile=str(cafile) if cafile else None)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        if certfile is not None:
            context.load_cert_chain(str(certfile), str(keyfile) if keyfile else None)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"TLS client certificate or CA could not be loaded: {exc}") from exc
    return context


def kafka_ssl_context(kafka: KafkaSettings) -> ssl.SSLContext | None:
    """The context aiokafka/faust use for ``SSL`` and ``SASL_SSL``; None for the plaintext protocols."""
    if kafka.security_protocol not in ("SSL", "SASL_SSL"):
        return None
    return client_context(kafka.ssl_cafile, kafka.ssl_certfile, kafka.ssl_keyfile)

"""Kafka over TLS on a real broker started for these tests (SSL, SASL_SSL and mutual-TLS listeners,
certificates made at test time): the faust app's credentials and the confluent clients verify the broker and
deliver; on the listener with ``ssl.client.auth=required`` both present the client certificate of
``HUB_KAFKA__SSL_CERTFILE``/``HUB_KAFKA__SSL_KEYFILE``, and a client without one is refused."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError
from confluent_kafka import Consumer, KafkaException
from confluent_kafka.admin import AdminClient
from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth
from pydantic import SecretStr

from agents.app import WorkerOptions, make_faust_app
from connectors.common.sink import KafkaSink
from hub.errors import DeliveryError, InfraError
from hub.kafka.topics import partitions_of
from hub.settings import HubSettings, KafkaSettings, RegistrySettings, load_settings
from hub.tls import kafka_ssl_context
from tests.security.certs import make_pki
from tests.security.kafka_tls import SASL_PASSWORD, SASL_USER, TlsBroker, tls_broker

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsBroker]:
    root = tmp_path_factory.mktemp("kafka-tls")
    with tls_broker(root, make_pki(root / "pki")) as running:
        yield running


def _ssl(broker: TlsBroker, *, ca: Path | None = None) -> KafkaSettings:
    return KafkaSettings(
        bootstrap_servers=broker.ssl, security_protocol="SSL", ssl_cafile=ca or broker.pki.ca
    )


def _sasl_ssl(broker: TlsBroker, password: str = SASL_PASSWORD) -> KafkaSettings:
    return KafkaSettings(
        bootstrap_servers=broker.sasl_ssl,
        security_protocol="SASL_SSL",
        sasl_mechanism="PLAIN",
        sasl_username=SASL_USER,
        sasl_password=SecretStr(password),
        ssl_cafile=broker.pki.ca,
    )


async def _send_like_faust(kafka: KafkaSettings, tmp_path: Path, topic: str, value: bytes) -> None:
    """Produce with aiokafka configured exactly as faust's aiokafka driver does from the app's settings."""
    settings = HubSettings(kafka=kafka, data_dir=tmp_path, registry=RegistrySettings(url=None))
    app = make_faust_app(settings, WorkerOptions(app_id=f"tls-{uuid.uuid4().hex[:6]}"))
    auth = credentials_to_aiokafka_auth(app.conf.broker_credentials, app.conf.ssl_context)
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers, request_timeout_ms=8000, **auth)
    try:
        await producer.start()
        await producer.send_and_wait(topic, value, key=b"k")
    finally:
        await producer.stop()


def _read_back(broker: TlsBroker, topic: str) -> list[bytes]:
    consumer = Consumer(
        {"bootstrap.servers": broker.plaintext, "group.id": uuid.uuid4().hex, "auto.offset.reset": "earliest"}
    )
    try:
        consumer.subscribe([topic])
        values: list[bytes] = []
        for _ in range(40):
            message = consumer.poll(0.5)
            value = None if message is None or message.error() is not None else message.value()
            if value is not None:
                values.append(value)
                break
        return values
    finally:
        consumer.close()


async def test_faust_app_produces_over_ssl(broker: TlsBroker, tmp_path: Path) -> None:
    """HUB_KAFKA__SECURITY_PROTOCOL=SSL: the faust app's credentials speak verified TLS to the broker."""
    topic = f"tls-{uuid.uuid4().hex[:8]}"
    await _send_like_faust(_ssl(broker), tmp_path, topic, b"over-ssl")
    assert _read_back(broker, topic) == [b"over-ssl"]


async def test_faust_app_produces_over_sasl_ssl(broker: TlsBroker, tmp_path: Path) -> None:
    """SASL_SSL: SASL PLAIN inside TLS (the password never in clear) reaches the broker."""
    topic = f"sasl-{uuid.uuid4().hex[:8]}"
    await _send_like_faust(_sasl_ssl(broker), tmp_path, topic, b"over-sasl-ssl")
    assert _read_back(broker, topic) == [b"over-sasl-ssl"]


async def test_faust_app_refuses_a_broker_it_cannot_verify(broker: TlsBroker, tmp_path: Path) -> None:
    """A broker certificate not signed by HUB_KAFKA__SSL_CAFILE is refused."""
    with pytest.raises(Exception):  # noqa: B017, PT011 - aiokafka raises KafkaConnectionError/SSL errors
        await _send_like_faust(_ssl(broker, ca=broker.pki.other_ca), tmp_path, "never", b"x")


def test_confluent_clients_verify_the_broker(broker: TlsBroker) -> None:
    """The connectors' and admin clients (librdkafka) use TLS with verification from the same settings."""
    AdminClient(dict(_ssl(broker).confluent_config())).list_topics(timeout=15)
    AdminClient(dict(_sasl_ssl(broker).confluent_config())).list_topics(timeout=15)
    with pytest.raises(KafkaException):
        AdminClient(dict(_ssl(broker, ca=broker.pki.other_ca).confluent_config())).list_topics(timeout=5)
    with pytest.raises(KafkaException):
        AdminClient(dict(_sasl_ssl(broker, password="wrong").confluent_config())).list_topics(timeout=5)  # noqa: S106


def _mtls(broker: TlsBroker, *, cert: bool = True) -> KafkaSettings:
    """Settings for the mutual-TLS listener, read from the environment as a deployment sets them."""
    env = {
        "HUB_KAFKA__BOOTSTRAP_SERVERS": broker.mtls,
        "HUB_KAFKA__SECURITY_PROTOCOL": "SSL",
        "HUB_KAFKA__SSL_CAFILE": str(broker.pki.ca),
    }
    if cert:
        env["HUB_KAFKA__SSL_CERTFILE"] = str(broker.pki.client_cert)
        env["HUB_KAFKA__SSL_KEYFILE"] = str(broker.pki.client_key)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        return load_settings(registry=RegistrySettings(url=None)).kafka


def test_client_certificate_settings_reach_every_client(broker: TlsBroker) -> None:
    """HUB_KAFKA__SSL_CERTFILE/__SSL_KEYFILE go into librdkafka's config and the aiokafka/faust context."""
    kafka = _mtls(broker)
    conf = kafka.confluent_config()
    assert conf["ssl.certificate.location"] == str(broker.pki.client_cert)
    assert conf["ssl.key.location"] == str(broker.pki.client_key)
    context = kafka_ssl_context(kafka)
    assert context is not None
    assert context.get_ca_certs()  # the test CA, loaded from HUB_KAFKA__SSL_CAFILE


async def test_faust_app_presents_its_client_certificate(broker: TlsBroker, tmp_path: Path) -> None:
    """ssl.client.auth=required: the faust app's credentials (broker_credentials, kafka_ssl_context) carry the
    client certificate, so its producer gets in and delivers."""
    topic = f"mtls-{uuid.uuid4().hex[:8]}"
    await _send_like_faust(_mtls(broker), tmp_path, topic, b"over-mutual-tls")
    assert _read_back(broker, topic) == [b"over-mutual-tls"]


async def test_faust_app_without_client_certificate_refused(broker: TlsBroker, tmp_path: Path) -> None:
    """The same app without HUB_KAFKA__SSL_CERTFILE cannot write to a broker that requires one."""
    topic = f"mtls-none-{uuid.uuid4().hex[:8]}"
    with pytest.raises(KafkaConnectionError):  # the broker ends the handshake: certificate required
        await _send_like_faust(_mtls(broker, cert=False), tmp_path, topic, b"x")


async def test_confluent_clients_present_the_client_certificate(broker: TlsBroker) -> None:
    """The connectors' sink and the admin client (librdkafka) get in with the client certificate; without
    one the admin client cannot reach the broker and the sink's write is not confirmed."""
    settings = HubSettings(kafka=_mtls(broker), registry=RegistrySettings(url=None))
    topic = f"mtls-sink-{uuid.uuid4().hex[:8]}"
    sink = KafkaSink.from_settings(settings)
    try:
        await sink.send(topic, b"k", b"from-the-sink")
    finally:
        sink.close()
    assert _read_back(broker, topic) == [b"from-the-sink"]
    assert partitions_of(settings, topic, timeout=15)

    without = _mtls(broker, cert=False)
    with pytest.raises(InfraError, match="cannot reach Kafka"):
        partitions_of(settings.model_copy(update={"kafka": without}), topic, timeout=5)
    refused = KafkaSink(without.confluent_config(), delivery_timeout_ms=5000)
    try:
        with pytest.raises(DeliveryError):
            await refused.send(f"mtls-refused-{uuid.uuid4().hex[:8]}", b"k", b"x")
    finally:
        refused.close(timeout=1)

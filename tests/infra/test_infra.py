"""Tests of ``hub infra``: generated configuration, clear errors, and the real services."""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import subprocess
import sys
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from click.testing import CliRunner
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from hub.cli import cli
from hub.errors import InfraError, PrerequisiteMissing
from hub.infra import down, kafka, maven, ports, process, registry, status
from hub.infra.java import JavaRuntime, find_java, parse_major
from hub.settings import HubSettings, InfraSettings

POM_NS = "{http://maven.apache.org/POM/4.0.0}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def local_infra(tmp_path: Path) -> InfraSettings:
    """Infra settings with their own state directory and free ports (the jar cache is shared)."""
    return InfraSettings(
        state_dir=tmp_path / "state",
        kafka_port=_free_port(),
        kafka_controller_port=_free_port(),
        registry_port=_free_port(),
        registry_management_port=_free_port(),
    )


@pytest.fixture
def listener() -> Iterator[int]:
    """A port some other process (here: this test) is listening on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_server_properties_use_the_configured_ports_and_state_dir(local_infra: InfraSettings) -> None:
    """The broker config binds both listeners to 127.0.0.1 on the configured ports, data in the state dir."""
    props = dict(
        line.split("=", 1) for line in kafka.server_properties(local_infra).splitlines() if "=" in line
    )
    assert props["listeners"] == (
        f"PLAINTEXT://127.0.0.1:{local_infra.kafka_port},CONTROLLER://127.0.0.1:{local_infra.kafka_controller_port}"
    )
    assert props["controller.quorum.voters"] == f"1@127.0.0.1:{local_infra.kafka_controller_port}"
    assert props["process.roles"] == "broker,controller"
    assert props["log.dirs"] == str(local_infra.state_dir / "kafka" / "data")
    assert props["offsets.topic.replication.factor"] == "1"
    assert props["transaction.state.log.min.isr"] == "1"
    assert props["group.initial.rebalance.delay.ms"] == "0"
    assert props["auto.create.topics.enable"] == "true"


def test_log4j_config_writes_to_the_given_file(tmp_path: Path) -> None:
    """The log4j2 configuration sends the root logger to a file appender at the given path."""
    text = kafka.log4j2_properties(tmp_path / "server.log")
    assert f"appender.file.fileName = {tmp_path / 'server.log'}" in text
    assert "rootLogger.appenderRef.file.ref = file" in text


def test_pom_lists_kafka_and_the_log4j_binding() -> None:
    """The generated POM is valid XML declaring the Kafka server and the slf4j-to-log4j2 binding."""
    root = ElementTree.fromstring(maven.render_pom(kafka.dependencies("4.4.0")))  # noqa: S314 - our own text
    found = {
        (d.findtext(f"{POM_NS}artifactId"), d.findtext(f"{POM_NS}version"))
        for d in root.iter(f"{POM_NS}dependency")
    }
    assert ("kafka_2.13", "4.4.0") in found
    assert ("log4j-slf4j-impl", kafka.LOG4J_VERSION) in found
    assert ("log4j-core", kafka.LOG4J_VERSION) in found


def test_maven_command_uses_the_configured_local_repository(tmp_path: Path) -> None:
    """A configured Maven repository is passed to ``mvn`` and the jars go to the output directory."""
    argv = maven.copy_dependencies_argv(
        Path("/usr/bin/mvn"),
        tmp_path / "pom.xml",
        tmp_path / "libs",
        tmp_path / "m2",
        maven.Coordinate.__name__,
    )
    assert "dependency:copy-dependencies" in argv
    assert f"-Dmaven.repo.local={tmp_path / 'm2'}" in argv
    assert f"-DoutputDirectory={tmp_path / 'libs'}" in argv


def test_artefact_paths_follow_the_maven_layout() -> None:
    """The registry archive resolves to its Maven Central path with classifier and extension."""
    path = registry.coordinate("3.3.3").path("all", "tar.gz")
    assert path == "io/apicurio/apicurio-registry-app/3.3.3/apicurio-registry-app-3.3.3-all.tar.gz"


def test_cluster_id_is_sixteen_url_safe_bytes() -> None:
    """A generated cluster id is 22 URL-safe base64 characters that decode to 16 bytes."""
    for _ in range(50):
        cluster_id = kafka.new_cluster_id()
        assert len(cluster_id) == 22
        assert not cluster_id.startswith("-")
        assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16


def test_storage_tool_class_is_found_in_either_package(tmp_path: Path) -> None:
    """The formatter's main class is taken from whichever package the jars contain."""
    with zipfile.ZipFile(tmp_path / "kafka-tools-9.9.jar", "w") as jar:
        jar.writestr("org/apache/kafka/tools/StorageTool.class", b"")
    assert kafka.storage_tool(tmp_path) == "org.apache.kafka.tools.StorageTool"


def test_java_versions_are_parsed() -> None:
    """Old and new Java version strings give their major version."""
    assert parse_major("17.0.15") == 17
    assert parse_major('"25.0.3"') == 25
    assert parse_major("1.8.0_392") == 8


def test_registry_needs_java_21_from_3_2() -> None:
    """Apicurio Registry 3.2 and newer need Java 21; 3.0 and 3.1 run on Java 17."""
    assert registry.min_java("3.3.3") == 21
    assert registry.min_java("3.0.9") == 17


def test_missing_java_names_the_version_and_the_setting(tmp_path: Path) -> None:
    """Without a usable JDK the error says which Java version is needed and how to point at one."""
    with pytest.raises(PrerequisiteMissing, match=r"needs Java 21 or newer.*HUB_INFRA__JAVA_HOME"):
        find_java(tmp_path, 21, "registry")


def test_missing_maven_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Without ``mvn`` on PATH the error names Maven and how to install it."""
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PrerequisiteMissing, match=r"Maven \(`mvn`\) is not on PATH.*apt-get install maven"):
        maven.find_mvn()


def test_port_in_use_names_the_port(listener: int) -> None:
    """A port taken by another process is reported with its number and the setting to change."""
    with pytest.raises(PrerequisiteMissing, match=rf"port {listener} .*in use.*HUB_INFRA__KAFKA_PORT"):
        ports.ensure_free(listener, "kafka", "kafka_port")


def test_a_second_infra_run_waits_for_the_lock(tmp_path: Path) -> None:
    """While one ``hub infra`` run holds the state lock, another gives up with a clear error in time."""
    lock = tmp_path / "infra.lock"
    with (
        process.exclusive(lock, timeout_s=1),
        pytest.raises(InfraError, match="another `hub infra` run"),
        process.exclusive(lock, timeout_s=0.3),
    ):
        pass


def test_registry_falls_back_to_3_0_on_java_17(local_infra: InfraSettings) -> None:
    """With only Java 17 the registry runs the newest Java 17 release; with Java 21+ the configured one."""
    java17 = JavaRuntime(Path("/jdk17"), 17)
    assert registry.version_for(local_infra, java17) == registry.FALLBACK_VERSION
    assert registry.version_for(local_infra, JavaRuntime(Path("/jdk25"), 25)) == local_infra.apicurio_version


def test_a_stale_pid_file_counts_as_down(local_infra: InfraSettings) -> None:
    """A pid file of a process that is not our service is ignored by status and removed by down."""
    pid_file = local_infra.state_dir / "kafka" / "kafka.pid"
    process.PidFile(pid_file).write(os.getpid())  # alive, but not a tagged kafka JVM
    assert [s.state.value for s in status(local_infra)] == ["down", "down"]
    assert down(local_infra) == []
    assert not pid_file.exists()


def test_status_exits_non_zero_when_down(local_infra: InfraSettings, clean_environ: None) -> None:
    """``hub infra status`` prints every service as down and exits 1 when nothing runs."""
    env = {
        "HUB_INFRA__STATE_DIR": str(local_infra.state_dir),
        "HUB_INFRA__KAFKA_PORT": str(local_infra.kafka_port),
        "HUB_INFRA__REGISTRY_PORT": str(local_infra.registry_port),
    }
    result = CliRunner().invoke(cli, ["infra", "status"], env=env)
    assert result.exit_code == 1
    assert f"port {local_infra.kafka_port}" in result.output
    assert result.output.count(" down") == 2


def test_down_purge_also_purges_the_worker_state(local_infra: InfraSettings, clean_environ: None) -> None:
    """``hub infra down --purge`` deletes the workers' tables (``HUB_DATA_DIR``) with the broker data: tables
    built on the purged changelogs would not match the next broker."""
    data = local_infra.state_dir / "data"
    (data / "samhandling-hub" / "v1" / "tables" / "beds-0.db").mkdir(parents=True)
    (local_infra.state_dir / "kafka" / "data").mkdir(parents=True)
    env = {"HUB_INFRA__STATE_DIR": str(local_infra.state_dir), "HUB_DATA_DIR": str(data)}
    result = CliRunner().invoke(cli, ["infra", "down", "--purge"], env=env)
    assert result.exit_code == 0, result.output
    assert not data.exists()
    assert not (local_infra.state_dir / "kafka" / "data").exists()
    assert "worker state" in result.output


def _hub(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    hub = Path(sys.executable).parent / "hub"
    return subprocess.run(
        [str(hub), "infra", *args], env=env, capture_output=True, text=True, timeout=180, check=False
    )


@pytest.mark.kafka
@pytest.mark.slow
def test_up_status_down_on_other_ports(local_infra: InfraSettings, clean_environ: None) -> None:
    """``up`` starts a broker on other ports, ``up`` again reuses it, ``down --purge`` stops and wipes it."""
    env = {
        **os.environ,
        "HUB_INFRA__STATE_DIR": str(local_infra.state_dir),
        "HUB_INFRA__KAFKA_PORT": str(local_infra.kafka_port),
        "HUB_INFRA__KAFKA_CONTROLLER_PORT": str(local_infra.kafka_controller_port),
    }
    try:
        first = _hub(env, "up", "--no-registry")
        assert first.returncode == 0, first.stderr
        assert "kafka     started" in first.stdout
        again = _hub(env, "up", "--no-registry")
        assert "kafka     already running" in again.stdout
        status = _hub(env, "status", "--no-registry")
        assert status.returncode == 0
        assert f"port {local_infra.kafka_port}" in status.stdout
        assert status.stdout.rstrip().endswith("up")

        other = {**env, "HUB_INFRA__STATE_DIR": str(local_infra.state_dir.parent / "other")}
        clash = _hub(other, "up", "--no-registry")
        assert clash.returncode == 1
        assert f"error: port {local_infra.kafka_port}" in clash.stderr
    finally:
        stopped = _hub(env, "down", "--purge")
    assert "stopped: kafka" in stopped.stdout
    assert not (local_infra.state_dir / "kafka" / "data").exists()
    assert not (local_infra.state_dir / "kafka" / "kafka.pid").exists()
    assert _hub(env, "status", "--no-registry").returncode == 1


@pytest.mark.kafka
async def test_aiokafka_produces_and_consumes(bootstrap: str, topic: str) -> None:
    """Records produced with aiokafka (idempotent producer) are read back by an aiokafka consumer group."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        for i in range(10):
            await producer.send_and_wait(topic, f"v{i}".encode(), key=f"k{i}".encode())
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=f"{topic}.reader", auto_offset_reset="earliest"
    )
    await consumer.start()
    received: list[bytes] = []
    try:
        async with asyncio.timeout(30):
            async for message in consumer:
                assert message.value is not None
                received.append(message.value)
                if len(received) == 10:
                    break
        await consumer.commit()
    finally:
        await consumer.stop()
    assert sorted(received) == sorted(f"v{i}".encode() for i in range(10))


@pytest.mark.registry
def test_registry_stores_avro_schemas_for_confluent_clients(infra: HubSettings) -> None:
    """The Confluent client registers and fetches an Avro schema, and its Avro serde round-trips a record."""
    assert infra.registry.url
    schema = (
        '{"type":"record","name":"Ping","namespace":"test.infra",'
        '"fields":[{"name":"n","type":"int"},{"name":"s","type":"string"}]}'
    )
    subject_topic = f"test.infra.{uuid.uuid4().hex[:8]}"
    context = SerializationContext(subject_topic, MessageField.VALUE)
    with SchemaRegistryClient({"url": infra.registry.url}) as client:
        schema_id = client.register_schema(f"{subject_topic}-value", Schema(schema, "AVRO"))
        assert '"Ping"' in client.get_schema(schema_id).schema_str
        encoded = AvroSerializer(client, schema)({"n": 1, "s": "å"}, context)
        assert encoded is not None
        assert encoded[:5] == b"\x00" + schema_id.to_bytes(4, "big")
        assert AvroDeserializer(client)(encoded, context) == {"n": 1, "s": "å"}


@pytest.mark.kafka
@pytest.mark.slow
def test_faust_agent_with_table_runs_against_the_broker(bootstrap: str, topic: str) -> None:
    """A faust-streaming worker consumes a topic into a changelog-backed table on this Kafka version."""
    probe = Path(__file__).with_name("faust_probe.py")
    env = {**os.environ, "PROBE_BROKER": bootstrap, "PROBE_TOPIC": topic}
    done = subprocess.run(
        [sys.executable, str(probe)], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "PROBE OK {'k0': 5, 'k1': 5, 'k2': 5, 'k3': 5}" in done.stdout + done.stderr  # faust logs stdout


def test_infra_commands_need_no_development_mode(local_infra: InfraSettings, clean_environ: None) -> None:
    """`hub infra` on a machine where HUB_ENV was never set: it holds no key, so the fail-closed checks of
    the hub's settings do not apply (it refused with a pseudonym-key error)."""
    env: dict[str, str | None] = {"HUB_ENV": None, "HUB_INFRA__STATE_DIR": str(local_infra.state_dir)}
    env["HUB_INFRA__KAFKA_PORT"] = str(local_infra.kafka_port)
    env["HUB_INFRA__REGISTRY_PORT"] = str(local_infra.registry_port)
    for args in (["infra", "status"], ["infra", "down"]):
        result = CliRunner().invoke(cli, args, env=env)
        assert "invalid HUB_ settings" not in result.output, result.output
        assert result.exit_code == (1 if args[-1] == "status" else 0), result.output

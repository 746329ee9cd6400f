"""All configuration in one place: :class:`HubSettings`, read from ``HUB_*`` environment variables.

Nested groups use ``__``: ``HUB_KAFKA__BOOTSTRAP_SERVERS=broker:9092``. Build the settings once at the
entry point (:func:`load_settings`) and pass them down; nothing else reads the environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parent.parent


class KafkaSettings(BaseModel):
    """How to reach Kafka."""

    bootstrap_servers: str = "127.0.0.1:9092"
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: Path | None = None
    """CA bundle that signs the brokers' certificates (SSL, SASL_SSL); unset = the system CAs."""
    ssl_certfile: Path | None = None
    """Client certificate for brokers that require mutual TLS."""
    ssl_keyfile: Path | None = None
    client_id: str = "samhandling-hub"
    session_timeout_s: float = Field(default=60.0, ge=6.0, le=300.0)
    """Consumer-group session timeout of the stream worker: how long a crashed worker's partitions wait
    before the group gives them to another member (or to the same worker restarted)."""

    def confluent_config(self) -> dict[str, str]:
        """librdkafka configuration for confluent-kafka clients."""
        conf = {
            "bootstrap.servers": self.bootstrap_servers,
            "security.protocol": self.security_protocol,
            "client.id": self.client_id,
        }
        if self.sasl_mechanism:
            conf["sasl.mechanism"] = self.sasl_mechanism
            conf["sasl.username"] = self.sasl_username or ""
            conf["sasl.password"] = self.sasl_password.get_secret_value() if self.sasl_password else ""
        if self.ssl_cafile:
            conf["ssl.ca.location"] = str(self.ssl_cafile)
        if self.ssl_certfile:
            conf["ssl.certificate.location"] = str(self.ssl_certfile)
        if self.ssl_keyfile:
            conf["ssl.key.location"] = str(self.ssl_keyfile)
        if self.security_protocol in ("SSL", "SASL_SSL"):
            conf["ssl.endpoint.identification.algorithm"] = "https"
        return conf

    def ordered_producer_config(self) -> dict[str, str]:
        """:meth:`confluent_config` for a producer whose records keep their order per partition through
        retries: idempotent (acks=all). Without it librdkafka retries a failed batch after later ones (a
        partition leader not yet known just after a topic was created, a slow broker), so a patient's
        events land out of order and a replay judges them differently from the live run."""
        return {**self.confluent_config(), "enable.idempotence": "true", "acks": "all"}

    @model_validator(mode="after")
    def _consistent(self) -> KafkaSettings:
        if self.security_protocol.startswith("SASL_") and not self.sasl_mechanism:
            raise ConfigError(f"security_protocol {self.security_protocol} needs HUB_KAFKA__SASL_MECHANISM")
        if self.sasl_mechanism and not self.security_protocol.startswith("SASL_"):
            raise ConfigError(
                f"HUB_KAFKA__SASL_MECHANISM is set but security_protocol is {self.security_protocol}: "
                "the credentials would not be used (set SASL_SSL)"
            )
        return self


class TopicSettings(BaseModel):
    """Topic names (DESIGN §2a). Subscribers depend on these: change only with a migration note."""

    raw_hl7v2: str = "samhandling.raw.hl7v2"
    raw_fhir: str = "samhandling.raw.fhir"
    raw_plo: str = "samhandling.raw.plo"
    raw_ambulance: str = "samhandling.raw.ambulance"
    raw_kpr: str = "samhandling.raw.kpr"
    events: str = "samhandling.events"
    pathway_state: str = "samhandling.pathway.state"
    avvik: str = "samhandling.avvik"
    beds_metrics: str = "samhandling.beds.metrics"
    dlq: str = "samhandling.dlq"
    audit: str = "samhandling.audit"
    """Who read which patient-level data when, from where (:mod:`hub.audit`)."""
    partitions: int = Field(default=6, ge=1)
    replication_factor: int = Field(default=1, ge=1)


DEV_PSEUDONYM_KEY = "local-development-only-not-a-secret"
"""Public, so every pseudonym made with it can be reversed: refused unless ``HUB_ENV=dev``."""

MIN_API_TOKEN_LENGTH = 32


class PseudonymSettings(BaseModel):
    """Keyed HMAC pseudonyms. ``keys`` maps key id -> secret; ``active_key_id`` signs new pseudonyms."""

    keys: dict[str, SecretStr] = Field(default_factory=lambda: {"dev1": SecretStr(DEV_PSEUDONYM_KEY)})
    active_key_id: str = "dev1"

    @model_validator(mode="after")
    def _active_key_known(self) -> PseudonymSettings:
        if self.active_key_id not in self.keys:
            raise ConfigError(
                f"pseudonym active_key_id {self.active_key_id!r} is not among the configured keys"
            )
        return self


class RegistrySettings(BaseModel):
    """Schema registry. With no URL the hub uses Avro single-object encoding instead of the wire format."""

    url: str | None = "http://127.0.0.1:8081/apis/ccompat/v7"
    timeout_s: float = Field(default=10.0, gt=0)
    """Per request: a registry that does not answer becomes a clear error instead of a hung producer."""
    attempts: int = Field(default=3, ge=1, le=10)
    """Tries per registry call when the connection fails or times out (registering a schema is idempotent)."""


class InfraSettings(BaseModel):
    """The local broker and registry that ``hub infra`` manages."""

    cache_dir: Path = REPO_ROOT / ".cache"
    state_dir: Path = REPO_ROOT / ".hub"
    kafka_version: str = "4.4.0"
    """Newest 4.x verified with aiokafka 0.14 and faust-streaming 0.15.3 (produce, consume, agent + table)."""
    kafka_port: int = 9092
    kafka_controller_port: int = 9093
    apicurio_version: str = "3.3.3"
    """Apicurio Registry 3.2+ needs Java 21+; on a machine with only Java 17 use 3.0.9."""
    registry_port: int = 8081
    registry_management_port: int = 9081
    """Quarkus management interface of the registry (its own default, 9000, collides too easily)."""
    java_home: Path | None = None
    """JDK to run both services; unset = the newest JDK found (JAVA_HOME-like dirs, /usr/lib/jvm, PATH)."""
    maven_repo: Path | None = None
    """Maven local repository; unset = Maven's default (~/.m2/repository)."""
    maven_central_url: str = "https://repo1.maven.org/maven2"
    auto_create_topics: bool = True
    """Broker auto-creates topics on first use (Kafka default); the hub creates its own topics explicitly."""
    start_timeout_s: float = 120.0
    stop_timeout_s: float = 20.0


class TlsSettings(BaseModel):
    """TLS of every listener (MLLP, the HTTP connectors, the board, the worker's web server).

    Unset = plaintext, allowed only with ``HUB_ENV=dev``. With a client CA, a client certificate signed by it
    is required (mutual TLS)."""

    cert_file: Path | None = None
    key_file: Path | None = None
    client_ca_file: Path | None = None
    allow_plaintext: bool = False
    """Outside ``HUB_ENV=dev`` a listener without a certificate refuses to start, unless this is set (TLS
    terminated in front of the hub, e.g. by a service mesh sidecar)."""

    @property
    def enabled(self) -> bool:
        """True when listeners serve TLS."""
        return self.cert_file is not None


class WebSettings(BaseModel):
    """Ports of the HTTP surfaces."""

    host: str = "127.0.0.1"
    worker_port: int = 6066
    board_port: int = 8080
    mllp_port: int = 2575
    fhir_port: int = 8090
    plo_port: int = 8091
    ambulance_port: int = 8092
    kpr_port: int = 8093
    mllp_max_connections: int = Field(default=64, ge=1)
    mllp_idle_timeout_s: float = Field(default=300.0, gt=0)
    """An MLLP connection with no block under way is closed after this long without a byte."""
    mllp_read_timeout_s: float = Field(default=30.0, gt=0)
    """A block (and a TLS handshake) must arrive whole within this long of its first byte."""
    parse_timeout_s: float = Field(default=10.0, gt=0)
    """Longest a message may take to parse, validate, map and redact (off the event loop) before refusal."""
    api_tokens: dict[str, SecretStr] = Field(default_factory=dict)
    """Static bearer tokens (name -> token, at least 32 characters) allowed to read patient-level data;
    empty means no such reads. Static tokens are accepted only with ``HUB_ENV=dev``; elsewhere patient-level
    reads need HelseID-style access tokens (``HUB_AUTH__*``)."""

    @field_validator("api_tokens")
    @classmethod
    def _long_tokens(cls, value: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for name, token in value.items():
            if len(token.get_secret_value().strip()) < MIN_API_TOKEN_LENGTH:
                raise ValueError(
                    f"API token {name!r} is shorter than {MIN_API_TOKEN_LENGTH} characters "
                    "(or empty): use e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
                )
        return value


class AuthSettings(BaseModel):
    """HelseID-compatible access tokens (OAuth2 JWT) with DPoP proof of possession (RFC 9449).

    With ``issuer`` set, patient-level HTTP APIs accept only a JWT access token signed by a key of the
    issuer's JWKS (``jwks_file`` or ``jwks_url``), for ``audience``, in its validity window, with
    ``required_scope``, and bound by ``cnf.jkt`` to a DPoP proof for this request."""

    issuer: str | None = None
    audience: str = "samhandling-hub"
    jwks_file: Path | None = None
    jwks_url: str | None = None
    required_scope: str = "samhandling:pathway.read"
    connectors: bool = False
    """HTTP connectors also require an access token (scope ``connector_scope``) from senders."""
    connector_scope: str = "samhandling:messages.write"
    anonymous_senders: bool = False
    """Outside ``HUB_ENV=dev`` connectors refuse to start without sender authentication (mutual TLS via
    ``HUB_TLS__CLIENT_CA_FILE``, or ``connectors``) unless this is set."""
    require_dpop: bool = True
    algorithms: list[str] = Field(default_factory=lambda: ["RS256", "PS256", "ES256"])
    leeway_s: int = Field(default=30, ge=0, le=300)
    dpop_iat_window_s: int = Field(default=60, ge=1, le=600)
    public_base_url: str | None = None
    """The external base URL (scheme://host:port) that DPoP ``htu`` claims name, when behind a proxy."""

    @model_validator(mode="after")
    def _jwks(self) -> AuthSettings:
        if self.issuer and not (self.jwks_file or self.jwks_url):
            raise ConfigError("HUB_AUTH__ISSUER needs HUB_AUTH__JWKS_FILE or HUB_AUTH__JWKS_URL")
        return self


class AuditSettings(BaseModel):
    """The audit stream of patient-level reads: topic ``topics.audit`` and this log file (JSON lines)."""

    log_file: Path | None = REPO_ROOT / ".hub" / "audit.log"
    to_kafka: bool = True
    """Also write each entry to the audit topic (off only in unit tests without a broker)."""


class HubSettings(BaseSettings):
    """Every setting of the hub. Environment prefix ``HUB_``, nested groups joined by ``__``."""

    model_config = SettingsConfigDict(env_prefix="HUB_", env_nested_delimiter="__", extra="forbid")

    env: Literal["dev", "production"] = "production"
    """``dev`` allows the public development pseudonym key, static API tokens and listeners without TLS.
    Anything else fails closed: the demo, the tests and the scripts set ``HUB_ENV=dev``."""
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    tls: TlsSettings = Field(default_factory=TlsSettings)
    topics: TopicSettings = Field(default_factory=TopicSettings)
    registry: RegistrySettings = Field(default_factory=RegistrySettings)
    pseudonym: PseudonymSettings = Field(default_factory=PseudonymSettings)
    infra: InfraSettings = Field(default_factory=InfraSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    masterdata_dir: Path | None = None
    """Directory with master data files overriding the shipped ones (same file names)."""
    log_format: Literal["console", "json"] = "console"
    log_level: str = "INFO"
    data_dir: Path = REPO_ROOT / ".hub" / "data"
    """Worker state (RocksDB tables)."""
    allowed_lateness_s: float = Field(default=900.0, ge=0)
    """How far (seconds of event time) an event may arrive behind the worker's clock and still count as on
    time (``EngineConfig.allowed_lateness``). A bulk load of history whose sources are read in parallel needs
    more than the live default."""

    @model_validator(mode="after")
    def _fail_closed(self) -> HubSettings:
        if self.env == "dev":
            return self
        if self.web.api_tokens:
            raise ConfigError(
                "static HUB_WEB__API_TOKENS are for development only (HUB_ENV=dev): configure HelseID-style "
                "access tokens (HUB_AUTH__ISSUER, HUB_AUTH__JWKS_FILE or HUB_AUTH__JWKS_URL, "
                "HUB_AUTH__AUDIENCE)"
            )
        dev_keys = [k for k, v in self.pseudonym.keys.items() if v.get_secret_value() == DEV_PSEUDONYM_KEY]
        if dev_keys:
            raise ConfigError(
                f"pseudonym key {dev_keys[0]!r} is the public development key: set HUB_PSEUDONYM__KEYS "
                "to a secret of your own, or HUB_ENV=dev on a developer machine"
            )
        return self

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        upper = value.upper()
        if upper not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError(f"log_level must be DEBUG, INFO, WARNING or ERROR, not {value!r}")
        return upper


def settings_env(settings: HubSettings, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this process's environment, so pseudonym keys and Kafka credentials carry over) with
    the ``HUB_*`` variables that make a child process (worker, connector) use the same Kafka, registry,
    topics, data dir and ports as ``settings``."""
    env = dict(os.environ if base is None else base)
    env["HUB_ENV"] = settings.env
    env["HUB_KAFKA__BOOTSTRAP_SERVERS"] = settings.kafka.bootstrap_servers
    env["HUB_KAFKA__SESSION_TIMEOUT_S"] = str(settings.kafka.session_timeout_s)
    env["HUB_REGISTRY__URL"] = settings.registry.url or ""
    env["HUB_DATA_DIR"] = str(settings.data_dir)
    env["HUB_ALLOWED_LATENESS_S"] = str(settings.allowed_lateness_s)
    env["HUB_LOG_LEVEL"] = settings.log_level
    env["HUB_LOG_FORMAT"] = settings.log_format
    for name in TopicSettings.model_fields:
        env[f"HUB_TOPICS__{name.upper()}"] = str(getattr(settings.topics, name))
    for name in (
        "host",
        "worker_port",
        "board_port",
        "mllp_port",
        "fhir_port",
        "plo_port",
        "ambulance_port",
        "kpr_port",
    ):
        env[f"HUB_WEB__{name.upper()}"] = str(getattr(settings.web, name))
    for name in (
        "kafka_port",
        "kafka_controller_port",
        "registry_port",
        "registry_management_port",
        "state_dir",
        "cache_dir",
    ):
        env[f"HUB_INFRA__{name.upper()}"] = str(getattr(settings.infra, name))
    if settings.masterdata_dir is not None:
        env["HUB_MASTERDATA_DIR"] = str(settings.masterdata_dir)
    return env


def load_offline_settings() -> HubSettings:
    """Settings for a command that holds no secret and serves nothing: it reads files or writes synthetic
    messages (``hub simulate --out``, ``hub evaluate``, ``hub report tabell6``). The fail-closed checks
    guard pseudonym keys, API tokens and listeners, none of which such a command uses: it runs anywhere."""
    return load_settings(env="dev")


def load_settings(**overrides: object) -> HubSettings:
    """Build the settings from the environment; translate validation failures into :class:`ConfigError`."""
    from pydantic import ValidationError

    try:
        return HubSettings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(f"invalid HUB_ settings: {exc}") from exc

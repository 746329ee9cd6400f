"""Apicurio Registry 3.x (Confluent-compatible API at ``/apis/ccompat/v7``) from its Maven Central archive."""

from __future__ import annotations

import shutil
import tarfile
import tempfile
from pathlib import Path

import httpx
import structlog

from hub.errors import InfraError, PrerequisiteMissing
from hub.infra import maven
from hub.infra.java import JavaRuntime, class_data_sharing, find_java
from hub.infra.ports import HOST
from hub.infra.process import marker
from hub.settings import InfraSettings

log = structlog.get_logger(__name__)

NAME = "registry"
CCOMPAT_PATH = "/apis/ccompat/v7"
FALLBACK_VERSION = "3.0.9"
"""Newest Apicurio Registry that runs on Java 17: used when no Java 21+ is installed."""
JVM_OPTIONS = (
    "-Xms128m",
    "-Xmx512m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-XX:+ExitOnOutOfMemoryError",
)


def min_java(version: str) -> int:
    """Apicurio Registry 3.2 and newer are built for Java 21; older 3.x run on 17."""
    major, minor = (int(part) for part in version.split(".")[:2])
    return 21 if (major, minor) >= (3, 2) else 17


def java(infra: InfraSettings) -> JavaRuntime:
    """The newest JDK the configured version needs; without Java 21+ a Java 17 for the fallback version."""
    try:
        return find_java(
            infra.java_home, min_java(infra.apicurio_version), f"Apicurio {infra.apicurio_version}"
        )
    except PrerequisiteMissing:
        if min_java(infra.apicurio_version) <= min_java(FALLBACK_VERSION):
            raise
        runtime = find_java(infra.java_home, min_java(FALLBACK_VERSION), f"Apicurio {FALLBACK_VERSION}")
        log.warning(
            "infra.registry.fallback",
            wanted=infra.apicurio_version,
            using=FALLBACK_VERSION,
            reason=f"no Java {min_java(infra.apicurio_version)}+ found, only Java {runtime.major}",
        )
        return runtime


def version_for(infra: InfraSettings, runtime: JavaRuntime) -> str:
    """The configured version when ``runtime`` can run it, else the Java 17 fallback."""
    return infra.apicurio_version if runtime.major >= min_java(infra.apicurio_version) else FALLBACK_VERSION


def coordinate(version: str) -> maven.Coordinate:
    """The Maven coordinate of the distribution archive (classifier ``all``, extension ``tar.gz``)."""
    return maven.Coordinate("io.apicurio", "apicurio-registry-app", version)


def home(infra: InfraSettings, version: str) -> Path:
    """The unpacked Quarkus application of ``version``."""
    return infra.cache_dir / f"apicurio-registry-{version}"


def state(infra: InfraSettings) -> Path:
    """State directory of the registry (pid, log)."""
    return infra.state_dir / NAME


def url(infra: InfraSettings) -> str:
    """The Confluent-compatible base URL clients use."""
    return f"http://{HOST}:{infra.registry_port}{CCOMPAT_PATH}"


def launcher(app: Path) -> Path | None:
    """The jar to run: ``quarkus-run.jar`` (fast-jar layout) or ``*-runner.jar`` (legacy layout, 3.0)."""
    fast = app / "quarkus-run.jar"
    if fast.is_file():
        return fast
    return next(iter(sorted(app.glob("*-runner.jar"))), None)


def install(infra: InfraSettings, version: str) -> Path:
    """Download and unpack the archive once; return the directory holding the launcher jar."""
    target = home(infra, version)
    if (target / maven.COMPLETE).is_file():
        return target
    archive = maven.download(
        coordinate(version),
        infra.cache_dir / "downloads",
        central_url=infra.maven_central_url,
        classifier="all",
        extension="tar.gz",
    )
    shutil.rmtree(target, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix="apicurio-", dir=infra.cache_dir))
    log.info("infra.registry.unpack", archive=str(archive))
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(staging, filter="data")
    except (OSError, tarfile.TarError) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        archive.unlink(missing_ok=True)
        raise InfraError(f"could not unpack {archive} (deleted; try again): {exc}") from exc
    if launcher(staging) is None:
        shutil.rmtree(staging, ignore_errors=True)
        raise InfraError(
            f"{archive} has no quarkus-run.jar or *-runner.jar; not an Apicurio Registry distribution"
        )
    staging.rename(target)
    (target / maven.COMPLETE).write_text("ok\n")
    archive.unlink(missing_ok=True)  # the unpacked tree is the cache; the 150 MB archive is not needed again
    return target


def prepare(infra: InfraSettings, java: JavaRuntime) -> list[str]:
    """Install on first use and return the server command line (bound to 127.0.0.1).

    Storage is an H2 file database in the state directory: schema ids must outlive a registry restart as long
    as the broker keeps records written with them (an in-memory registry would re-use ids for other schemas).
    """
    app = install(infra, version_for(infra, java))
    state(infra).mkdir(parents=True, exist_ok=True)
    return [
        str(java.java),
        *JVM_OPTIONS,
        *class_data_sharing(java, app / f"registry-java{java.major}.jsa"),
        marker(NAME),
        f"-Dquarkus.http.host={HOST}",
        f"-Dquarkus.http.port={infra.registry_port}",
        f"-Dquarkus.management.host={HOST}",
        f"-Dquarkus.management.port={infra.registry_management_port}",
        "-Dquarkus.log.console.color=false",
        f"-Djava.io.tmpdir={state(infra)}",
        "-Dapicurio.storage.kind=sql",
        "-Dapicurio.storage.sql.kind=h2",
        f"-Dapicurio.datasource.url=jdbc:h2:file:{database(infra)};DB_CLOSE_ON_EXIT=FALSE",
        "-Dapicurio.datasource.username=sa",
        "-Dapicurio.datasource.password=sa",
        "-jar",
        str(launcher(app)),
    ]


def database(infra: InfraSettings) -> Path:
    """Path (without H2's suffix) of the registry's database, beside the broker data."""
    return state(infra) / "db" / "registry"


def is_ready(infra: InfraSettings) -> bool:
    """True when the Confluent-compatible API answers."""
    try:
        response = httpx.get(f"{url(infra)}/subjects", timeout=2.0)
    except httpx.HTTPError:
        return False
    return response.status_code == 200

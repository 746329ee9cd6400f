"""Find a Java runtime of at least a given major version."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from hub.errors import PrerequisiteMissing

JVM_DIRS = (Path("/usr/lib/jvm"), Path("/opt/java"), Path("/Library/Java/JavaVirtualMachines"))


@dataclass(frozen=True, slots=True)
class JavaRuntime:
    """A JDK or JRE: its home directory and major version."""

    home: Path
    major: int

    @property
    def java(self) -> Path:
        """The ``java`` launcher."""
        return self.home / "bin" / "java"


def parse_major(version: str) -> int:
    """Major version of a Java version string: ``"17.0.15"`` -> 17, ``"1.8.0_392"`` -> 8."""
    match = re.match(r"(\d+)(?:\.(\d+))?", version.strip().strip('"'))
    if not match:
        raise ValueError(f"not a Java version: {version!r}")
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def probe(home: Path) -> JavaRuntime | None:
    """The runtime at ``home`` (its ``release`` file, else ``java -version``), or None if there is none."""
    java = home / "bin" / "java"
    if not java.is_file():
        return None
    release = home / "release"
    if release.is_file():
        found = re.search(r'^JAVA_VERSION="([^"]+)"', release.read_text(errors="replace"), re.MULTILINE)
        if found:
            return JavaRuntime(home, parse_major(found.group(1)))
    try:
        out = subprocess.run(  # noqa: S603 - fixed argument list, launcher found on disk
            [str(java), "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.search(r'version "([^"]+)"', out.stderr)
    return JavaRuntime(home, parse_major(found.group(1))) if found else None


def candidates(java_home: Path | None) -> Iterable[Path]:
    """Homes to look at: the configured one only, if any; else JDKs in the usual places and on PATH."""
    if java_home is not None:
        yield java_home
        return
    for root in JVM_DIRS:
        if root.is_dir():
            for child in sorted(root.iterdir()):
                yield child / "Contents" / "Home" if (child / "Contents" / "Home").is_dir() else child
    on_path = shutil.which("java")
    if on_path:
        yield Path(on_path).resolve().parent.parent


def find_java(java_home: Path | None, minimum: int, purpose: str) -> JavaRuntime:
    """The newest Java >= ``minimum``; raise :class:`PrerequisiteMissing` saying what is needed and why."""
    found: dict[Path, JavaRuntime] = {}
    for home in candidates(java_home):
        runtime = probe(home)
        if runtime is not None:
            found.setdefault(runtime.home.resolve(), runtime)
    usable = [r for r in found.values() if r.major >= minimum]
    if usable:
        return max(usable, key=lambda r: r.major)
    seen = ", ".join(f"{r.home} (Java {r.major})" for r in found.values()) or "none"
    where = f"HUB_INFRA__JAVA_HOME={java_home}" if java_home else "/usr/lib/jvm or PATH"
    raise PrerequisiteMissing(
        f"{purpose} needs Java {minimum} or newer; found in {where}: {seen}. "
        f"Install a JDK (e.g. `apt-get install openjdk-{max(minimum, 17)}-jdk-headless`, "
        "or run scripts/ci-prereqs.sh) or point HUB_INFRA__JAVA_HOME at one"
    )


def class_data_sharing(java: JavaRuntime, archive: Path) -> tuple[str, ...]:
    """JVM flags for a class-data-sharing archive made on the first run and reused after (Java 19+)."""
    if java.major < 19:
        return ()
    return (
        "-XX:+AutoCreateSharedArchive",
        f"-XX:SharedArchiveFile={archive}",
        "-Xlog:cds=off",
        "-Xlog:cds+dynamic=off",
    )

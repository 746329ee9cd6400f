#!/usr/bin/env bash
# Make sure Java 17+ and Maven are installed, for `hub infra up` (Kafka broker + schema registry).
# Idempotent and quiet when both are present; on a clean Debian/Ubuntu machine installs
# openjdk-17-jdk-headless and maven with apt-get (needs root or sudo).
# Apicurio Registry 3.2+ needs Java 21+: if only Java 17 is found, set HUB_INFRA__APICURIO_VERSION=3.0.9.
set -euo pipefail

java_major() {
  # major version of the `java` on PATH, or 0 when there is none
  local version
  command -v java >/dev/null 2>&1 || { echo 0; return; }
  version=$(java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}')
  version=${version#1.}
  echo "${version%%.*}"
}

missing=()
if [ "$(java_major)" -lt 17 ]; then
  missing+=(openjdk-17-jdk-headless)
fi
if ! command -v mvn >/dev/null 2>&1; then
  missing+=(maven)
fi
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "ci-prereqs: missing ${missing[*]} and no apt-get here; install Java 17+ and Maven by hand" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
echo "ci-prereqs: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
java -version 2>&1 | head -1
mvn -v 2>&1 | head -1

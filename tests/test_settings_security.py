"""Settings fail closed: the public development key, short or static tokens, and SASL without TLS."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from hub.errors import ConfigError
from hub.settings import DEV_PSEUDONYM_KEY, KafkaSettings, PseudonymSettings, WebSettings, load_settings


def test_development_key_refused_outside_dev(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without HUB_ENV=dev the public development pseudonym key stops the hub from starting."""
    monkeypatch.delenv("HUB_ENV", raising=False)
    with pytest.raises(ConfigError, match="public development key"):
        load_settings()


def test_development_key_accepted_in_dev(monkeypatch: pytest.MonkeyPatch) -> None:
    """HUB_ENV=dev (demo, tests, scripts) may use the development key."""
    monkeypatch.setenv("HUB_ENV", "dev")
    assert load_settings().pseudonym.keys["dev1"].get_secret_value() == DEV_PSEUDONYM_KEY


def test_own_key_accepted_outside_dev(monkeypatch: pytest.MonkeyPatch) -> None:
    """A key of one's own is accepted in production."""
    monkeypatch.delenv("HUB_ENV", raising=False)
    settings = load_settings(
        pseudonym=PseudonymSettings(keys={"k1": SecretStr("x" * 40)}, active_key_id="k1")
    )
    assert settings.env == "production"


@pytest.mark.parametrize("token", ["", " ", "short", "x" * 31])
def test_short_or_empty_api_tokens_refused(token: str) -> None:
    """An API token shorter than 32 characters (or empty) is a configuration error."""
    with pytest.raises(ValueError, match="shorter than 32"):
        WebSettings(api_tokens={"board": SecretStr(token)})


def test_static_tokens_refused_outside_dev(monkeypatch: pytest.MonkeyPatch) -> None:
    """Static bearer tokens are for development only."""
    monkeypatch.delenv("HUB_ENV", raising=False)
    with pytest.raises(ConfigError, match="development only"):
        load_settings(
            pseudonym=PseudonymSettings(keys={"k1": SecretStr("x" * 40)}, active_key_id="k1"),
            web=WebSettings(api_tokens={"ops": SecretStr("t" * 40)}),
        )


def test_sasl_mechanism_without_sasl_protocol_refused() -> None:
    """A SASL mechanism with a non-SASL protocol would silently drop the credentials: refused."""
    with pytest.raises(ValueError, match="SASL_SSL"):
        KafkaSettings(security_protocol="SSL", sasl_mechanism="PLAIN")
    with pytest.raises(ValueError, match="SASL_MECHANISM"):
        KafkaSettings(security_protocol="SASL_SSL")

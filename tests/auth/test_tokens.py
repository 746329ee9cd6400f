"""HelseID-style access tokens with DPoP (RFC 9449), checked against an issuer the test creates."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey, RSAKey

from hub.auth import Principal, RequestAuthenticator
from hub.auth.dpop import ReplayCache
from hub.auth.tokens import AccessTokenVerifier, load_jwks
from hub.errors import AuthError, ConfigError
from hub.settings import AuthSettings, HubSettings
from tests.auth.issuer import Issuer

URL = "https://hub.example/pathway/P1"


@pytest.fixture
def issuer(tmp_path: Path) -> Issuer:
    return Issuer(tmp_path)


@pytest.fixture
def verifier(issuer: Issuer) -> AccessTokenVerifier:
    return AccessTokenVerifier.from_settings(issuer.settings())


def _check(
    verifier: AccessTokenVerifier, token: str, proof: str | None, *, scheme: str = "DPoP"
) -> Principal:
    return verifier.verify(scheme, token, "GET", URL, proof)


def test_valid_dpop_bound_token_accepted(issuer: Issuer, verifier: AccessTokenVerifier) -> None:
    """A token of the issuer, for this API, in time, with the scope and a matching proof is accepted."""
    token = issuer.token()
    principal = _check(verifier, token, issuer.proof(token))
    assert principal.client == "kommune-journal"
    assert principal.method == "dpop"


def test_replayed_proof_refused(issuer: Issuer, verifier: AccessTokenVerifier) -> None:
    """The same proof (jti) twice is a replay."""
    token = issuer.token()
    proof = issuer.proof(token)
    _check(verifier, token, proof)
    with pytest.raises(AuthError, match="replayed"):
        _check(verifier, token, proof)


BAD_TOKENS: dict[str, Callable[[Issuer], str]] = {
    "expired": lambda i: i.token(exp=int(time.time()) - 120),
    "not yet valid": lambda i: i.token(nbf=int(time.time()) + 600),
    "other issuer": lambda i: i.token(iss="https://evil.example"),
    "other audience": lambda i: i.token(aud="another-api"),
    "no exp": lambda i: i.token(exp=None),
    "signed by an unknown key": lambda i: i.token(key=RSAKey.generate_key(2048, parameters={"kid": "sig-1"})),
    "an id token (typ JWT)": lambda i: i.token(header={"typ": "JWT"}),
    "not DPoP-bound": lambda i: i.token(cnf=None),
}


@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
def test_bad_tokens_refused(case: str, issuer: Issuer, verifier: AccessTokenVerifier) -> None:
    """Wrong issuer, audience, validity window, signature, type or binding: refused."""
    token = BAD_TOKENS[case](issuer)
    with pytest.raises(AuthError):
        _check(verifier, token, issuer.proof(token))


def test_missing_scope_is_forbidden(issuer: Issuer, verifier: AccessTokenVerifier) -> None:
    """A valid token without the required scope is 403, not 401."""
    token = issuer.token(scope="openid")
    with pytest.raises(AuthError) as caught:
        _check(verifier, token, issuer.proof(token))
    assert caught.value.status == 403


def test_alg_none_and_hmac_confusion_refused(issuer: Issuer, verifier: AccessTokenVerifier) -> None:
    """An unsigned token, or one HMAC-signed with the issuer's public key, is refused."""
    valid = issuer.token()
    header, body, _sig = valid.split(".")
    with pytest.raises(AuthError):
        _check(verifier, f"{header}.{body}.", issuer.proof(valid))
    public = OctKey.import_key(issuer.jwks_file.read_bytes())
    forged = jwt.encode({"alg": "HS256", "typ": "at+jwt", "kid": "sig-1"}, {"iss": "x"}, public)
    with pytest.raises(AuthError):
        _check(verifier, forged, issuer.proof(forged))


PROOF_CASES: dict[str, Callable[[Issuer, str], str | None]] = {
    "no proof": lambda i, t: None,
    "other method": lambda i, t: i.proof(t, method="POST"),
    "other URL": lambda i, t: i.proof(t, url="https://hub.example/pathway/OTHER"),
    "old iat": lambda i, t: i.proof(t, iat=int(time.time()) - 3600),
    "for another token": lambda i, t: i.proof(i.token()),
    "another key (cnf.jkt mismatch)": lambda i, t: i.proof(t, key=ECKey.generate_key("P-256")),
    "no jti": lambda i, t: i.proof(t, jti=None),
    "two proofs": lambda i, t: f"{i.proof(t)},{i.proof(t)}",
}


@pytest.mark.parametrize("case", sorted(PROOF_CASES))
def test_bad_proofs_refused(case: str, issuer: Issuer, verifier: AccessTokenVerifier) -> None:
    """A missing, mismatched, stale, foreign-key or doubled DPoP proof is refused."""
    token = issuer.token()
    with pytest.raises(AuthError):
        _check(verifier, token, PROOF_CASES[case](issuer, token))


def test_proof_with_private_key_in_header_refused(issuer: Issuer, verifier: AccessTokenVerifier) -> None:
    """A proof whose jwk header carries the private key is malformed."""
    token = issuer.token()
    key = issuer.client_key
    bad = jwt.encode(
        {"alg": "ES256", "typ": "dpop+jwt", "jwk": key.as_dict(private=True)},
        {"jti": "j" * 16, "htm": "GET", "htu": URL, "iat": int(time.time()), "ath": "x"},
        key,
    )
    with pytest.raises(AuthError, match="public"):
        _check(verifier, token, bad)


def test_bound_token_with_bearer_scheme_refused(issuer: Issuer, verifier: AccessTokenVerifier) -> None:
    """A DPoP-bound token presented as a plain bearer token is refused (stolen tokens are useless)."""
    token = issuer.token()
    with pytest.raises(AuthError, match="Bearer"):
        _check(verifier, token, None, scheme="Bearer")


def test_replay_cache_forgets_after_the_window() -> None:
    """The jti cache is bounded in time."""
    now = [1000.0]
    cache = ReplayCache(60, clock=lambda: now[0])
    assert cache.first_use("a")
    assert not cache.first_use("a")
    now[0] += 61
    assert cache.first_use("a")


def test_jwks_with_a_private_key_refused(issuer: Issuer, tmp_path: Path) -> None:
    """Configuring the issuer's private key as JWKS is a configuration error."""
    import json

    path = tmp_path / "private.json"
    path.write_text(json.dumps({"keys": [issuer.key.as_dict(private=True)]}))
    with pytest.raises(ConfigError, match="private"):
        load_jwks(AuthSettings(issuer="https://x", jwks_file=path))


def test_request_authenticator_uses_tokens_and_not_static_tokens_in_production(
    issuer: Issuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With an issuer configured, requests need DPoP tokens; static tokens count for nothing in production."""
    monkeypatch.delenv("HUB_ENV")
    from pydantic import SecretStr

    from hub.settings import PseudonymSettings

    settings = HubSettings(
        auth=issuer.settings(),
        pseudonym=PseudonymSettings(keys={"k": SecretStr("x" * 40)}, active_key_id="k"),
    )
    authenticator = RequestAuthenticator(settings)
    token = issuer.token()
    principal = authenticator.authenticate(
        "GET", URL + "?x=1", {"Authorization": f"DPoP {token}", "DPoP": issuer.proof(token)}
    )
    assert principal.client == "kommune-journal"
    with pytest.raises(AuthError):
        authenticator.authenticate("GET", URL, {"Authorization": "Bearer " + "t" * 40})

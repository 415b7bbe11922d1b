"""CDS Hooks 2.0 request authentication: the EHR's signed JWT, checked before anything else is read.

Every request must carry ``Authorization: Bearer <JWT>`` signed with the EHR's private key (CDS Hooks 2.0,
"Trusting CDS Clients"). A token is accepted only if all hold:

- the header's ``alg`` is one of RS256/RS384/ES256/ES384 (never HS*, never ``none``) and names a ``kid``;
- ``iss`` is a configured issuer, and the header's ``jku`` (if any) is one of that issuer's allowed URLs;
  keys come only from those URLs or the issuer's configured JWK Set file, never from a URL the token chose;
- the signature verifies with that key; ``aud`` equals the URL of the endpoint called (configured base URL +
  path, never the request's Host header); ``exp``, ``iat`` and ``jti`` are present, ``exp`` has not passed,
  the lifetime is bounded, and the ``jti`` was not seen before (replay).

- the key fits the algorithm (RS* an RSA key, ES256 / ES384 an EC key on P-256 / P-384) and, where the JWK
  names its own ``alg``, that is the header's; the token is at most :data:`MAX_TOKEN_CHARS` long and its numeric
  claims are finite numbers.

Any failure is a bare 401: the reason goes to the log as one word (never the token or any patient data). A
library error on a hostile token (a wrong key type, an ``exp`` of 10^400) is a failure like any other.
The ``jti`` memory (:class:`ReplayStore`) is a SQLite file in WAL mode beside the config (``replay_db``), shared by
every worker and kept across restarts until each token expires, so a captured token cannot be replayed against
another worker or after a restart; :class:`ReplayCache` keeps it in memory (one process, tests).
"""

from __future__ import annotations

import json
import logging
import math
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from jwt import PyJWK, PyJWKClient, PyJWKSet

from chestpain.ehr._config import HooksConfig, Issuer

log = logging.getLogger("chestpain.ehr.security")

#: Longest bearer token read (an RS384 token with these claims is under 1,000 characters).
MAX_TOKEN_CHARS = 8192
#: The key type and curve each accepted algorithm needs (RFC 7518 section 3.1).
KEY_FOR_ALGORITHM = {
    "RS256": ("RSA", None),
    "RS384": ("RSA", None),
    "ES256": ("EC", "secp256r1"),
    "ES384": ("EC", "secp384r1"),
}


class Unauthorized(Exception):
    """A token was refused; ``reason`` is a short word for the log, never sent to the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ReplayCache:
    """``jti`` values seen, each kept until its token expires (so memory is bounded by the live tokens)."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def first_use(self, issuer: str, jti: str, expires: float) -> bool:
        """Record ``jti``; False if it was already used by this issuer."""
        now = time.time()
        with self._lock:
            if len(self._seen) > 10_000:
                self._seen = {key: exp for key, exp in self._seen.items() if exp > now}
            key = (issuer, jti)
            if key in self._seen and self._seen[key] > now:
                return False
            self._seen[key] = expires
            return True


class ReplayStore:
    """``jti`` values seen, in a SQLite file shared by processes (WAL mode), each kept until its token expires.

    One statement decides: a new ``(issuer, jti)`` is inserted, an expired one refreshed, a live one left alone
    (no row changed: a replay). SQLite serialises writers, so two workers racing on one token cannot both win.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=10)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS seen (issuer TEXT NOT NULL, jti TEXT NOT NULL, expires REAL NOT NULL, "
            "PRIMARY KEY (issuer, jti))"
        )
        self._pruned = 0.0

    def first_use(self, issuer: str, jti: str, expires: float) -> bool:
        """Record ``jti``; False if it was already used by this issuer and has not expired."""
        now = time.time()
        with self._lock:
            if now - self._pruned > 60:  # expired entries go at most once a minute: the table holds live tokens
                self._db.execute("DELETE FROM seen WHERE expires <= ?", (now,))
                self._pruned = now
            changed = self._db.execute(
                "INSERT INTO seen VALUES (?, ?, ?) ON CONFLICT (issuer, jti) DO UPDATE SET expires = excluded.expires "
                "WHERE seen.expires <= ?",
                (issuer, jti, expires, now),
            ).rowcount
            return changed == 1

    def close(self) -> None:
        with self._lock:
            self._db.close()


@dataclass
class TokenVerifier:
    """Verifies CDS Hooks bearer tokens against the configured issuers."""

    config: HooksConfig
    replay: ReplayCache | ReplayStore

    def __post_init__(self) -> None:
        self._issuers: dict[str, Issuer] = {issuer.iss: issuer for issuer in self.config.issuers}
        self._clients: dict[str, PyJWKClient] = {}
        self._files: dict[str, PyJWKSet] = {}
        self._lock = threading.Lock()

    def verify(self, authorization: str | None, audience: str) -> dict[str, Any]:
        """Claims of a valid token for the endpoint ``audience``; raises :class:`Unauthorized` otherwise."""
        if not authorization or not authorization.startswith("Bearer "):
            raise Unauthorized("no-bearer-token")
        token = authorization.removeprefix("Bearer ").strip()
        if len(token) > MAX_TOKEN_CHARS:
            raise Unauthorized("oversized")
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except Exception:  # noqa: BLE001 - any fault of an unverified token is a 401, whatever the library raises
            raise Unauthorized("malformed") from None
        if not isinstance(header, dict) or not isinstance(unverified, dict):
            raise Unauthorized("malformed")
        alg = header.get("alg")
        if alg not in self.config.algorithms:
            raise Unauthorized("algorithm")
        issuer = self._issuers.get(str(unverified.get("iss")))
        if issuer is None:
            raise Unauthorized("issuer")
        key = self._key(issuer, header)
        _check_key_fits(key, alg)
        for name in ("exp", "iat", "nbf"):
            if name in unverified and not _finite_number(unverified[name]):
                raise Unauthorized("claim-type")
        try:
            claims = jwt.decode(
                token,
                key=key.key,
                algorithms=[alg],
                audience=audience,
                issuer=issuer.iss,
                leeway=self.config.leeway_seconds,
                options={"require": ["iss", "aud", "exp", "iat", "jti"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("expired") from None
        except jwt.InvalidAudienceError:
            raise Unauthorized("audience") from None
        except Exception:  # noqa: BLE001 - a signature or claim the library cannot even evaluate is invalid too
            raise Unauthorized("invalid") from None
        if not isinstance(claims.get("jti"), str) or not 0 < len(claims["jti"]) <= 256:
            raise Unauthorized("jti")
        if float(claims["exp"]) - float(claims["iat"]) > self.config.max_token_lifetime_seconds:
            raise Unauthorized("lifetime")
        if not self.replay.first_use(issuer.iss, str(claims["jti"]), float(claims["exp"]) + self.config.leeway_seconds):
            raise Unauthorized("replay")
        return claims

    def _key(self, issuer: Issuer, header: dict[str, Any]) -> PyJWK:
        kid = header.get("kid")
        if not kid or not isinstance(kid, str) or len(kid) > 256:
            raise Unauthorized("no-kid")
        jku = header.get("jku")
        if jku is not None and not isinstance(jku, str):
            raise Unauthorized("jku")
        allowed = [str(url) for url in issuer.jku]
        if jku is not None and jku not in allowed:
            raise Unauthorized("jku")
        try:
            if jku is None and issuer.jwks_file is not None:
                return self._file_set(issuer)[kid]
            url = jku or (allowed[0] if allowed else None)
            if url is None:
                raise Unauthorized("no-key-source")
            return self._client(url).get_signing_key(kid)
        except KeyError:
            raise Unauthorized("unknown-kid") from None
        except Unauthorized:
            raise
        except Exception:  # noqa: BLE001 - an unreadable or unreachable key set refuses the call, it never errs
            raise Unauthorized("jwks") from None

    def _client(self, url: str) -> PyJWKClient:
        with self._lock:
            if url not in self._clients:
                # PyJWKClient caches the set and refetches once on an unknown kid (key rotation).
                self._clients[url] = PyJWKClient(
                    url, cache_keys=True, lifespan=300, timeout=self.config.jwks_timeout_seconds
                )
            return self._clients[url]

    def _file_set(self, issuer: Issuer) -> PyJWKSet:
        path = str(issuer.jwks_file)
        with self._lock:
            if path not in self._files:
                self._files[path] = PyJWKSet.from_dict(json.loads(issuer.jwks_file.read_text(encoding="utf-8")))
            return self._files[path]


def _check_key_fits(key: PyJWK, alg: str) -> None:
    """Refuse a key of another type or curve than ``alg`` needs, or a JWK that names another ``alg``."""
    key_type, curve = KEY_FOR_ALGORITHM[alg]
    key_curve = getattr(getattr(key.key, "curve", None), "name", None)  # cryptography's EC public key
    if key.key_type != key_type or (curve is not None and key_curve != curve):
        raise Unauthorized("key-type")
    # PyJWK keeps the JWK it was made from (``algorithm_name`` cannot tell a declared alg from its default); a JWK
    # that names its alg binds the key to it. tests/ehr/test_hooks_hardening.py fails if this stops working.
    if getattr(key, "_jwk_data", {}).get("alg") not in (None, alg):
        raise Unauthorized("key-alg")


def _finite_number(value: object) -> bool:
    """A JSON number a clock can be compared with: not a bool, a string, 10^400 or infinity."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(float(value)) and abs(float(value)) < 1e11  # year ~5000: beyond any real token
    except OverflowError:
        return False

"""CDS Hooks 2.0 request authentication: the EHR's signed JWT, checked before anything else is read.

Every request must carry ``Authorization: Bearer <JWT>`` signed with the EHR's private key (CDS Hooks 2.0,
"Trusting CDS Clients"). A token is accepted only if all hold:

- the header's ``alg`` is one of RS256/RS384/ES256/ES384 (never HS*, never ``none``) and names a ``kid``;
- ``iss`` is a configured issuer, and the header's ``jku`` (if any) is one of that issuer's allowed URLs;
  keys come only from those URLs or the issuer's configured JWK Set file, never from a URL the token chose;
- the signature verifies with that key; ``aud`` equals the URL of the endpoint called (configured base URL +
  path, never the request's Host header); ``exp``, ``iat`` and ``jti`` are present, ``exp`` has not passed,
  the lifetime is bounded, and the ``jti`` was not seen before (replay).

Any failure is a bare 401: the reason goes to the log as one word (never the token or any patient data).
The ``jti`` memory is per process: run one worker, or put a shared store behind :class:`ReplayCache`.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import jwt
from jwt import PyJWK, PyJWKClient, PyJWKSet

from chestpain.ehr._config import HooksConfig, Issuer

log = logging.getLogger("chestpain.ehr.security")


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


@dataclass
class TokenVerifier:
    """Verifies CDS Hooks bearer tokens against the configured issuers."""

    config: HooksConfig
    replay: ReplayCache

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
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise Unauthorized("malformed") from None
        alg = header.get("alg")
        if alg not in self.config.algorithms:
            raise Unauthorized("algorithm")
        issuer = self._issuers.get(str(unverified.get("iss")))
        if issuer is None:
            raise Unauthorized("issuer")
        key = self._key(issuer, header)
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
        except jwt.PyJWTError:
            raise Unauthorized("invalid") from None
        if float(claims["exp"]) - float(claims["iat"]) > self.config.max_token_lifetime_seconds:
            raise Unauthorized("lifetime")
        if not self.replay.first_use(issuer.iss, str(claims["jti"]), float(claims["exp"]) + self.config.leeway_seconds):
            raise Unauthorized("replay")
        return claims

    def _key(self, issuer: Issuer, header: dict[str, Any]) -> PyJWK:
        kid = header.get("kid")
        if not kid:
            raise Unauthorized("no-kid")
        jku = header.get("jku")
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
        except jwt.PyJWTError:
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

"""The CDS Hooks service's configuration file (YAML, validated by pydantic; unknown keys are errors).

Example (``configs/ehr/hooks.example.yaml``)::

    base_url: http://127.0.0.1:8765      # the URL the EHR calls; a token's `aud` must be base_url + path
    host: 127.0.0.1                      # bind address; anything else must be written here on purpose
    port: 8765
    issuers:                             # the EHRs trusted to call this service
      - iss: https://ehr.example.org
        jku: [https://ehr.example.org/.well-known/jwks.json]   # JWK Set URLs allowed in the token header
        jwks_file: null                  # or a local JWK Set file (keys registered out of band)
    feedback_db: hooks-feedback.sqlite   # accepted/overridden cards by sex, race and age band only (a relative
                                         # path is beside this file)
    replay_db: hooks-replay.sqlite       # token ids seen until they expire, shared by workers and restarts
    fhir_servers: []                     # FHIR servers the service may query when a prefetch key is missing
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError, field_validator

from chestpain.kernel.errors import TriageError

ALLOWED_ALGORITHMS = ("RS256", "RS384", "ES256", "ES384")


class Issuer(BaseModel):
    """One trusted EHR: its ``iss`` and where its public keys may come from."""

    model_config = ConfigDict(extra="forbid")
    iss: str
    jku: list[HttpUrl] = Field(default_factory=list)
    jwks_file: Path | None = None


class HooksConfig(BaseModel):
    """Settings of ``chestpain serve-hooks``."""

    model_config = ConfigDict(extra="forbid")
    base_url: str = "http://127.0.0.1:8765"
    host: str = "127.0.0.1"
    port: int = Field(8765, ge=1, le=65535)
    issuers: list[Issuer] = Field(default_factory=list)
    algorithms: list[str] = Field(default_factory=lambda: list(ALLOWED_ALGORITHMS))
    leeway_seconds: int = Field(30, ge=0, le=300)
    max_token_lifetime_seconds: int = Field(3600, ge=1)
    jwks_timeout_seconds: float = Field(3.0, gt=0, le=30)
    feedback_db: Path = Path("hooks-feedback.sqlite")
    #: Token ids seen (until each token expires), shared by every worker and kept across restarts.
    replay_db: Path = Path("hooks-replay.sqlite")
    fhir_servers: list[str] = Field(default_factory=list)
    #: Browser-based EHR sandboxes call from the page's origin (e.g. the public CDS Hooks sandbox).
    cors_origins: list[str] = Field(default_factory=list)
    fhir_timeout_seconds: float = Field(3.0, gt=0, le=30)
    #: Largest request body read (a hook call with a few days of observations is well under 1 MB); larger is 413.
    max_body_bytes: int = Field(4 * 1024 * 1024, ge=1024, le=256 * 1024 * 1024)
    #: Cards (and their feedback) older than this are deleted: the override audit needs recent months only.
    feedback_retention_days: int = Field(365, ge=1, le=3650)

    @field_validator("algorithms")
    @classmethod
    def _asymmetric_only(cls, value: list[str]) -> list[str]:
        # CDS Hooks 2.0: the EHR signs with its private key; HS* (shared secret) and "none" are never accepted.
        bad = [alg for alg in value if alg not in ALLOWED_ALGORITHMS]
        if bad:
            raise ValueError(f"algorithms {bad} are not allowed; use {', '.join(ALLOWED_ALGORITHMS)}")
        return value

    @field_validator("base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")


def load_hooks_config(path: str | Path | None) -> HooksConfig:
    """Read and validate a hooks config file; ``None`` gives the defaults (no issuer: every call is refused)."""
    if path is None:
        return HooksConfig()
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        config = HooksConfig.model_validate(raw)
    except FileNotFoundError:
        raise TriageError(f"{path}: no such config file") from None
    except yaml.YAMLError as error:
        raise TriageError(f"{path}: not YAML ({' '.join(str(error).split())[:160]})") from None
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise TriageError(f"{path}: {where}: {first['msg']}") from None
    for issuer in config.issuers:
        if issuer.jwks_file is not None and not issuer.jwks_file.is_absolute():
            issuer.jwks_file = (path.parent / issuer.jwks_file).resolve()
    for name in ("feedback_db", "replay_db"):  # beside the config, not wherever the service was started from
        if not getattr(config, name).is_absolute():
            setattr(config, name, (path.parent / getattr(config, name)).resolve())
    return config

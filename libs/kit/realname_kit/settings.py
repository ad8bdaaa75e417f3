"""Settings from ``REALNAME_*`` environment variables, each with a documented default.

``SETTINGS`` are the plumbing's; each service documents its own on its ``ServiceSpec`` (``settings=``).
``documented()`` is both, the source of the table in README.md (``./realname settings`` prints it).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

SERVICES = ("identity", "registry", "assignment", "attendance", "reporting")
SERVICE_PORTS = {"gateway": 8000, "identity": 8101, "registry": 8102, "assignment": 8103,
                 "attendance": 8104, "reporting": 8105}


@dataclass(frozen=True, slots=True)
class Setting:
    env: str
    default: str
    doc: str


SETTINGS: tuple[Setting, ...] = (
    Setting("REALNAME_DATA_DIR", "var", "Folder for SQLite files, keys and run state (all-in-one mode)."),
    Setting("REALNAME_DATABASE_URL", "",
            "PostgreSQL server URL (`postgresql+psycopg://user@host:5432/`). Empty: one SQLite file "
            "per service under the data dir. Each service uses the database `<prefix><service>` on it."),
    Setting("REALNAME_DATABASE_PREFIX", "realname_", "Prefix of each service's database name."),
    Setting("REALNAME_<SERVICE>_DATABASE_URL", "",
            "Full database URL for one service (e.g. `REALNAME_REGISTRY_DATABASE_URL`), when it has "
            "its own server. Overrides the two settings above for that service."),
    Setting("REALNAME_AMQP_URL", "",
            "RabbitMQ URL (`amqp://guest:guest@127.0.0.1:5672/%2F`). Empty: the in-process bus."),
    Setting("REALNAME_BUS_PREFIX", "", "Prefix of every exchange and queue name (a test run uses its own)."),
    Setting("REALNAME_DELIVERY_LIMIT", "5",
            "Deliveries of one message before the broker dead-letters it (a consumer that crashes on it)."),
    Setting("REALNAME_CONSUMER_PREFETCH", "200", "Unacknowledged messages a consumer holds; its batch size."),
    Setting("REALNAME_RELAY_BATCH", "500", "Outbox rows one relay claims and publishes per round."),
    Setting("REALNAME_RELAY_IDLE_SECONDS", "0.05", "How long a relay waits before looking again at an empty outbox."),
    Setting("REALNAME_LOG_LEVEL", "INFO", "Log level."),
    Setting("REALNAME_LOG_FORMAT", "json", "`json` (one JSON object a line) or `console` (for people)."),
    Setting("REALNAME_AUTH_PUBLIC_KEY_FILE", "",
            "PEM public key that verifies bearer tokens. Empty: `<data dir>/keys/token-signing.pub.pem`."),
    Setting("REALNAME_AUTH_ISSUER", "realname-gateway", "Expected `iss` of bearer tokens."),
    Setting("REALNAME_AUTH_AUDIENCE", "realname", "Expected `aud` of bearer tokens."),
    Setting("REALNAME_GATEWAY_HOST", "127.0.0.1", "Address the gateway listens on."),
    Setting("REALNAME_GATEWAY_PORT", "8000", "Port of the gateway."),
    Setting("REALNAME_GATEWAY_METRICS_PORT", "8099",
            "Internal port (on REALNAME_GATEWAY_HOST) where the gateway answers `/metrics` and nothing else; "
            "the public port refuses `/metrics`. Never route it from outside. Empty: no gateway `/metrics`."),
    Setting("REALNAME_<SERVICE>_URL", "http://127.0.0.1:81xx",
            "Where the gateway reaches a service in distributed mode (identity 8101, registry 8102, "
            "assignment 8103, attendance 8104, reporting 8105)."),
    Setting("REALNAME_WEB_WORKERS", "2", "gunicorn workers per service web process (distributed mode)."),
    Setting("REALNAME_HTTP_TIMEOUT", "30", "Seconds the gateway waits for a service."),
    Setting("REALNAME_AUTH_PRIVATE_KEY_FILE", "",
            "PEM private key the gateway signs tokens with. Empty: `<data dir>/keys/token-signing.pem`."),
    Setting("REALNAME_AUTH_JWKS_URL", "",
            "Where services fetch the token-signing public keys (the gateway's `/api/v1/auth/jwks`). Empty: "
            "they read REALNAME_AUTH_PUBLIC_KEY_FILE."),
    Setting("REALNAME_ACCESS_TOKEN_SECONDS", "300", "Lifetime of an access token."),
    Setting("REALNAME_REFRESH_TOKEN_SECONDS", "1209600", "Lifetime of a refresh token (14 days)."),
    Setting("REALNAME_CA_BUNDLE_FILE", "",
            "PEM bundle of the CAs whose enterprise certificates may log in. Empty: `<data dir>/dev-ca/ca.pem` "
            "(made by `./realname dev-ca init`)."),
    Setting("REALNAME_CRL_FILE", "",
            "PEM certificate revocation list(s) of those CAs. Empty: `<data dir>/dev-ca/crl.pem` when it exists."),
    Setting("REALNAME_DATA_KEYS_FILE", "",
            "JSON keyring for personal data (AES-GCM keys by id, the active id, the blind-index key). Empty: "
            "`<data dir>/keys/data-keys.json`, created for development."),
    Setting("REALNAME_REDIS_URL", "", "Redis for rate limits shared by processes. Empty: limits kept in-process."),
    Setting("REALNAME_RATE_LIMIT_LOGIN", "10/minute",
            "Failed logins allowed per account from one address (a login holds a place while it runs; one that "
            "succeeds gives it back)."),
    Setting("REALNAME_RATE_LIMIT_LOGIN_ADDRESS", "60/minute",
            "Failed logins allowed per client address: an office behind one address (30 clerks logging in at "
            "08:00 may each fail twice; successful logins do not count)."),
    Setting("REALNAME_RATE_LIMIT_CHALLENGE", "300/minute",
            "Login challenges per client address (against flooding; each certificate login asks for one)."),
    Setting("REALNAME_RATE_LIMIT_WRITE", "300/minute", "Writes (POST, PUT, PATCH, DELETE) per caller and per address."),
    Setting("REALNAME_MAX_REQUEST_BYTES", "1048576", "Largest request body accepted (larger: 413)."),
    Setting("REALNAME_MAX_UPLOAD_BYTES", "20971520",
            "Largest file upload (multipart/form-data: imports, evidence files) accepted."),
    Setting("REALNAME_RETAIN_OUTBOX_HOURS", "168", "Hours a published outbox row is kept (then pruned)."),
    Setting("REALNAME_RETAIN_INBOX_HOURS", "720",
            "Hours a handled message's id is kept in a consumer's inbox: longer than any copy of it may still arrive."),
    Setting("REALNAME_RETAIN_IDEMPOTENCY_HOURS", "72",
            "Hours an Idempotency-Key's answer is kept: a retry within them gets it again, never a second effect."),
    Setting("REALNAME_RETAIN_TOKEN_DENIALS_HOURS", "1",
            "Hours a refused session or grant is kept past the expiry of the last access token it refuses."),
    Setting("REALNAME_RETAIN_EXPIRED_LOGINS_HOURS", "24",
            "Hours the gateway keeps login challenges and refresh tokens past their expiry."),
    Setting("REALNAME_PRUNE_INTERVAL_SECONDS", "600",
            "How often each relay process (and all-in-one mode) prunes what is past its retention."),
    Setting("REALNAME_PRUNE_BATCH", "5000", "Rows pruned per transaction."),
    Setting("REALNAME_TRUSTED_PROXY_HOPS", "0",
            "Reverse proxies in front of the gateway (an ingress: 1) whose X-Forwarded-For, -Proto and -Host are "
            "believed: rate limits and the audit log see the client's address. 0: none trusted, the peer's "
            "address counts. Services also trust the gateway in front of them."),
    Setting("REALNAME_AMQP_MANAGEMENT_URL", "",
            "RabbitMQ's management API (`http://user:pass@host:15672`), where broker accounts are made. Empty: "
            "port 15672 on the broker's host, with its credentials."),
    Setting("REALNAME_SERVICE_NAME", "web",
            "Set by the launcher for each child process: the service named in its log lines."),
    Setting("REALNAME_PROCESS_METRICS_PORT", "",
            "Port where a consumer or relay process serves its own `/metrics`, where it shares no "
            "PROMETHEUS_MULTIPROC_DIR with its service's web (Kubernetes, compose). Empty: none (the launcher "
            "gives a service's processes one folder, summed on the web's `/metrics`)."),
    Setting("REALNAME_PROCESS", "", "Set by the launcher for each child process: web, consumer or relay."),
    Setting("REALNAME_DEMO_SITE", "on",
            "`on`: `./realname up` (both modes) also runs the demo site: a demo project with five workers and one "
            "simulated face gate of each kind behind a site bridge, seeded once under the data dir's `demo-site/`, "
            "and prints where to watch its sync. `off`: the platform alone."),
)


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path
    database_url: str
    database_prefix: str
    amqp_url: str
    bus_prefix: str
    delivery_limit: int
    consumer_prefetch: int
    relay_batch: int
    relay_idle_seconds: float
    log_level: str
    log_format: str
    auth_public_key_file: Path
    auth_issuer: str
    auth_audience: str
    gateway_host: str
    gateway_port: int
    web_workers: int
    http_timeout: float
    auth_private_key_file: Path
    auth_jwks_url: str
    access_token_seconds: int
    refresh_token_seconds: int
    ca_bundle_file: Path
    crl_file: Path
    data_keys_file: Path
    redis_url: str
    rate_limit_login: str
    rate_limit_login_address: str
    rate_limit_challenge: str
    rate_limit_write: str
    max_request_bytes: int
    max_upload_bytes: int
    env: Mapping[str, str]

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        env = dict(os.environ if env is None else env)

        def get(name: str) -> str:
            spec = next(s for s in SETTINGS if s.env == name)
            return env.get(name, spec.default)

        data_dir = Path(get("REALNAME_DATA_DIR"))
        key_file = get("REALNAME_AUTH_PUBLIC_KEY_FILE")

        def path(name: str, default: Path) -> Path:
            value = get(name)
            return Path(value) if value else default
        values: dict[str, object] = {
            "data_dir": data_dir,
            "database_url": get("REALNAME_DATABASE_URL"),
            "database_prefix": get("REALNAME_DATABASE_PREFIX"),
            "amqp_url": get("REALNAME_AMQP_URL"),
            "bus_prefix": get("REALNAME_BUS_PREFIX"),
            "delivery_limit": int(get("REALNAME_DELIVERY_LIMIT")),
            "consumer_prefetch": int(get("REALNAME_CONSUMER_PREFETCH")),
            "relay_batch": int(get("REALNAME_RELAY_BATCH")),
            "relay_idle_seconds": float(get("REALNAME_RELAY_IDLE_SECONDS")),
            "log_level": get("REALNAME_LOG_LEVEL").upper(),
            "log_format": get("REALNAME_LOG_FORMAT"),
            "auth_public_key_file": Path(key_file) if key_file else data_dir / "keys" / "token-signing.pub.pem",
            "auth_issuer": get("REALNAME_AUTH_ISSUER"),
            "auth_audience": get("REALNAME_AUTH_AUDIENCE"),
            "gateway_host": get("REALNAME_GATEWAY_HOST"),
            "gateway_port": int(get("REALNAME_GATEWAY_PORT")),
            "web_workers": int(get("REALNAME_WEB_WORKERS")),
            "http_timeout": float(get("REALNAME_HTTP_TIMEOUT")),
            "auth_private_key_file": path("REALNAME_AUTH_PRIVATE_KEY_FILE", data_dir / "keys" / "token-signing.pem"),
            "auth_jwks_url": get("REALNAME_AUTH_JWKS_URL"),
            "access_token_seconds": int(get("REALNAME_ACCESS_TOKEN_SECONDS")),
            "refresh_token_seconds": int(get("REALNAME_REFRESH_TOKEN_SECONDS")),
            "ca_bundle_file": path("REALNAME_CA_BUNDLE_FILE", data_dir / "dev-ca" / "ca.pem"),
            "crl_file": path("REALNAME_CRL_FILE", data_dir / "dev-ca" / "crl.pem"),
            "data_keys_file": path("REALNAME_DATA_KEYS_FILE", data_dir / "keys" / "data-keys.json"),
            "redis_url": get("REALNAME_REDIS_URL"),
            "rate_limit_login": get("REALNAME_RATE_LIMIT_LOGIN"),
            "rate_limit_login_address": get("REALNAME_RATE_LIMIT_LOGIN_ADDRESS"),
            "rate_limit_challenge": get("REALNAME_RATE_LIMIT_CHALLENGE"),
            "rate_limit_write": get("REALNAME_RATE_LIMIT_WRITE"),
            "max_request_bytes": int(get("REALNAME_MAX_REQUEST_BYTES")),
            "max_upload_bytes": int(get("REALNAME_MAX_UPLOAD_BYTES")),
            "env": env,
        }
        unknown = set(overrides) - {f.name for f in fields(cls)}
        if unknown:
            raise TypeError(f"unknown settings: {sorted(unknown)}")
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]

    def value(self, name: str) -> str:
        """A setting without a field of its own (a service's): from the environment, else its documented default."""
        spec = next((s for s in documented() if s.env == name), None)
        if spec is None:
            raise KeyError(f"{name} is not a documented setting: add it to SETTINGS or its service's spec")
        return self.env.get(name, spec.default)

    @property
    def distributed(self) -> bool:
        """Distributed mode: a real broker. All-in-one mode uses the in-process bus."""
        return bool(self.amqp_url)

    @property
    def bus_url(self) -> str:
        return self.amqp_url or "memory://"

    def consumer_prefetch_for(self, service: str) -> int:
        """A service's own ``REALNAME_<SERVICE>_CONSUMER_PREFETCH`` where it documents one (a high-volume stream
        wants larger batches), else REALNAME_CONSUMER_PREFETCH."""
        own = f"REALNAME_{service.upper()}_CONSUMER_PREFETCH"
        if any(s.env == own for s in documented()):
            return int(self.value(own))
        return self.consumer_prefetch

    def database_url_for(self, service: str) -> str:
        own = self.env.get(f"REALNAME_{service.upper()}_DATABASE_URL")
        if own:
            return own
        if not self.database_url:
            return f"sqlite:///{(self.data_dir / f'{service}.db').resolve()}"
        return with_database(self.database_url, f"{self.database_prefix}{service}")

    def service_url(self, service: str) -> str:
        own = self.env.get(f"REALNAME_{service.upper()}_URL")
        return own or f"http://127.0.0.1:{SERVICE_PORTS[service]}"


@cache
def documented() -> tuple[Setting, ...]:
    """The plumbing's settings, then each service's; a variable documented twice is refused."""
    # The services' specs import the kit, this module among it: they are loaded when first asked for, not on import.
    from realname_kit.service import platform_specs
    every = (*SETTINGS, *(s for spec in platform_specs() for s in spec.settings))
    twice = sorted({s.env for s in every if sum(t.env == s.env for t in every) > 1})
    if twice:
        raise ValueError(f"settings documented twice: {twice}")
    return every


def setting_names() -> frozenset[str]:
    """Every concrete variable ``documented()`` names, the per-service forms spelt out."""
    names: set[str] = set()
    for setting in documented():
        if "<SERVICE>" in setting.env:
            names |= {setting.env.replace("<SERVICE>", s.upper()) for s in SERVICES}
        else:
            names.add(setting.env)
    return frozenset(names)


def with_database(server_url: str, database: str) -> str:
    """The server URL with its path replaced by ``database``."""
    parts = urlsplit(server_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))

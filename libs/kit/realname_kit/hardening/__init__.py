"""The HTTP edge's defences: rate limits, request limits, trusted proxies, strict JSON and security headers."""

from realname_kit.hardening.flask_guard import install_rate_limits
from realname_kit.hardening.headers import install_security_headers
from realname_kit.hardening.limits import install_request_limits, strict_json_loads
from realname_kit.hardening.proxies import forwarded_for, trust_proxies
from realname_kit.hardening.ratelimit import Decision, Limiter, MemoryLimiter, Rate, limiter_from_settings, parse_rate

__all__ = ["Decision", "Limiter", "MemoryLimiter", "Rate", "forwarded_for", "install_rate_limits",
           "install_request_limits", "install_security_headers", "limiter_from_settings", "parse_rate",
           "strict_json_loads", "trust_proxies"]

"""One OpenAPI 3 document out of every service's: paths side by side, components kept apart by service."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

TITLE = "realname API"
SHARED_SECTIONS = frozenset({"securitySchemes"})  # referred to by name, the same in every service
OPERATIONS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


def merge(documents: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    """Merge the documents of services (by name) into one; the inputs are left untouched."""
    merged: dict[str, Any] = {
        "openapi": next((d["openapi"] for d in documents.values() if "openapi" in d), "3.0.3"),
        "info": {"title": TITLE, "version": "v1",
                 "description": "Every service of the realname platform, through its gateway."},
        "paths": {}, "tags": [], "components": {},
    }
    for service, document in documents.items():
        _add(merged, service, _renamed(document, service_prefix(service)))
    return merged


def service_prefix(service: str) -> str:
    """``registry`` → ``Registry``, ``edge-reader`` → ``EdgeReader``: valid in a component key."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", service))


def _add(merged: dict[str, Any], service: str, document: dict[str, Any]) -> None:
    for path, item in document.get("paths", {}).items():
        merged["paths"][path] = _with_security(item, document.get("security"))
    known_tags = {tag["name"] for tag in merged["tags"]}
    merged["tags"].extend(tag for tag in document.get("tags", []) if tag["name"] not in known_tags)
    prefix = service_prefix(service)
    for section, entries in document.get("components", {}).items():
        target = merged["components"].setdefault(section, {})
        for name, value in entries.items():
            if section in SHARED_SECTIONS:
                target.setdefault(name, value)
            else:
                target[prefix + name] = value


def _with_security(item: dict[str, Any], security: Any) -> dict[str, Any]:
    """A document-wide ``security`` does not survive the merge: move it onto each operation."""
    if security is None:
        return item
    return {key: ({"security": security, **value} if key in OPERATIONS else value)
            for key, value in item.items()}


def _renamed(node: Any, prefix: str) -> Any:
    """A deep copy of ``node`` with every local component reference prefixed."""
    if isinstance(node, list):
        return [_renamed(value, prefix) for value in node]
    if not isinstance(node, dict):
        return node
    copy = {key: _renamed(value, prefix) for key, value in node.items()}
    if isinstance(copy.get("$ref"), str):
        copy["$ref"] = _renamed_ref(copy["$ref"], prefix)
    discriminator = copy.get("discriminator")
    if isinstance(discriminator, dict) and isinstance(discriminator.get("mapping"), dict):
        mapping = discriminator["mapping"]
        discriminator["mapping"] = {key: _mapped(value, prefix) for key, value in mapping.items()}
    return copy


def _renamed_ref(ref: str, prefix: str) -> str:
    parts = ref.split("/", 3)
    if len(parts) == 4 and parts[:2] == ["#", "components"] and parts[2] not in SHARED_SECTIONS:
        return f"#/components/{parts[2]}/{prefix}{parts[3]}"
    return ref


def _mapped(value: str, prefix: str) -> str:
    """A discriminator maps to a reference or to a bare schema name."""
    return _renamed_ref(value, prefix) if value.startswith("#") else prefix + value

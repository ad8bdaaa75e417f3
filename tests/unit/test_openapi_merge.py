"""The merged OpenAPI document: every path, components kept apart by service, every $ref resolving."""

from __future__ import annotations

import copy
from typing import Any

from realname_gateway.openapi_merge import merge


def _schema_ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json_body(name: str) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": _schema_ref(name)}}}


BEARER = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}

REGISTRY: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "realname registry", "version": "v1"},
    "tags": [{"name": "enterprises"}, {"name": "shared"}],
    "paths": {
        "/api/v1/registry/enterprises": {
            "get": {"tags": ["enterprises"], "responses": {
                "200": _json_body("Page"), "default": {"$ref": "#/components/responses/DEFAULT_ERROR"}}},
            "post": {"requestBody": _json_body("EnterpriseIn"),
                     "responses": {"201": _json_body("Enterprise")}},
        },
        "/api/v1/registry/enterprises/{id}": {
            "parameters": [{"$ref": "#/components/parameters/Id"}],
            "get": {"responses": {"200": _json_body("Enterprise")}},
        },
    },
    "components": {
        "securitySchemes": {"bearer": BEARER},
        "parameters": {"Id": {"in": "path", "name": "id", "required": True, "schema": {"type": "string"}}},
        "responses": {"DEFAULT_ERROR": {"description": "error", **_json_body("Error")}},
        "schemas": {
            "Error": {"type": "object", "properties": {"code": {"type": "integer"}}},
            "Enterprise": {"type": "object", "properties": {"name": {"type": "string"}}},
            "EnterpriseIn": {"allOf": [_schema_ref("Enterprise")]},
            "Page": {"type": "object", "properties": {"items": {"type": "array",
                                                                "items": _schema_ref("Enterprise")}}},
        },
    },
}

IDENTITY: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "realname identity", "version": "v1"},
    "tags": [{"name": "verifications"}, {"name": "shared"}],
    "security": [{"bearer": []}],
    "paths": {
        "/api/v1/identity/verifications": {
            "post": {"responses": {"201": _json_body("Verification"),
                                   "default": {"$ref": "#/components/responses/DEFAULT_ERROR"}}},
        },
    },
    "components": {
        "securitySchemes": {"bearer": BEARER},
        "responses": {"DEFAULT_ERROR": {"description": "error", **_json_body("Error")}},
        "schemas": {
            "Error": {"type": "object", "properties": {"message": {"type": "string"}}},
            "Verification": {
                "oneOf": [_schema_ref("Accepted"), _schema_ref("Rejected")],
                "discriminator": {"propertyName": "outcome",
                                  "mapping": {"accepted": "#/components/schemas/Accepted",
                                              "rejected": "Rejected"}},
            },
            "Accepted": {"type": "object", "properties": {"outcome": {"type": "string"}}},
            "Rejected": {"type": "object", "properties": {"outcome": {"type": "string"},
                                                          "why": _schema_ref("Error")}},
        },
    },
}


def _merged() -> dict[str, Any]:
    return merge({"registry": REGISTRY, "identity": IDENTITY})


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def _resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for token in ref[2:].split("/"):
        node = node[token.replace("~1", "/").replace("~0", "~")]
    return node


def test_every_path_of_every_service_is_present() -> None:
    paths = _merged()["paths"]
    assert set(paths) == {"/api/v1/registry/enterprises", "/api/v1/registry/enterprises/{id}",
                          "/api/v1/identity/verifications"}
    assert set(paths["/api/v1/registry/enterprises"]) == {"get", "post"}


def test_info_names_the_platform() -> None:
    merged = _merged()
    assert merged["info"]["title"] == "realname API"
    assert merged["openapi"] == "3.0.3"


def test_colliding_schema_names_are_kept_apart() -> None:
    components = _merged()["components"]
    assert components["schemas"]["RegistryError"]["properties"] == {"code": {"type": "integer"}}
    assert components["schemas"]["IdentityError"]["properties"] == {"message": {"type": "string"}}
    assert "Error" not in components["schemas"]
    assert set(components["responses"]) == {"RegistryDEFAULT_ERROR", "IdentityDEFAULT_ERROR"}


def test_every_ref_resolves_and_points_into_its_own_service() -> None:
    merged = _merged()
    refs = _refs(merged)
    assert len(refs) >= 12
    for ref in refs:
        assert _resolve(merged, ref) is not None
    post = merged["paths"]["/api/v1/registry/enterprises"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"]["$ref"] == \
        "#/components/schemas/RegistryEnterpriseIn"
    identity_error = merged["components"]["responses"]["IdentityDEFAULT_ERROR"]
    assert _resolve(merged, identity_error["content"]["application/json"]["schema"]["$ref"]) == \
        IDENTITY["components"]["schemas"]["Error"]


def test_discriminator_mappings_are_renamed() -> None:
    mapping = _merged()["components"]["schemas"]["IdentityVerification"]["discriminator"]["mapping"]
    assert mapping == {"accepted": "#/components/schemas/IdentityAccepted", "rejected": "IdentityRejected"}


def test_security_schemes_are_merged_once() -> None:
    merged = _merged()
    assert merged["components"]["securitySchemes"] == {"bearer": BEARER}


def test_document_wide_security_moves_onto_its_own_operations() -> None:
    paths = _merged()["paths"]
    assert paths["/api/v1/identity/verifications"]["post"]["security"] == [{"bearer": []}]
    assert "security" not in paths["/api/v1/registry/enterprises"]["get"]


def test_tags_are_listed_once() -> None:
    assert [tag["name"] for tag in _merged()["tags"]] == ["enterprises", "shared", "verifications"]


def test_the_inputs_are_left_untouched() -> None:
    before = copy.deepcopy(REGISTRY), copy.deepcopy(IDENTITY)
    _merged()
    assert before == (REGISTRY, IDENTITY)


def test_no_documents_give_an_empty_but_valid_document() -> None:
    merged = merge({})
    assert merged["paths"] == {}
    assert merged["info"]["title"] == "realname API"

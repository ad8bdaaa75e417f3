"""Logging in with certificates and passwords, tokens, accounts and delegation, on real PostgreSQL."""

from __future__ import annotations

import jwt
import pytest
from sqlalchemy import text

from realname_gateway.certs.devca import revoke
from realname_kit.settings import Settings
from tests.support.platform import Platform, bearer, build_platform
from tests.support.stack import Stack

GC = ("9131000013221158XC", "上海建工集团")
LABOUR = ("91350100M000100Y43", "福建劳务有限公司")
PASSWORD = "correct horse 42"


@pytest.fixture
def platform(stack: Stack) -> Platform:
    return build_platform(stack)


def test_a_first_certificate_login_registers_the_enterprise_and_later_ones_find_it(platform: Platform) -> None:
    certificate = platform.certificate(*GC)
    assert platform.certificate_login(certificate).get_json()["reason"] == "enterprise_kind_required"
    first = platform.certificate_login(certificate, "general_contractor")
    assert first.status_code == 200, first.get_json()
    again = platform.certificate_login(certificate)  # the kind is chosen once
    assert again.status_code == 200
    assert again.get_json()["enterprise_id"] == first.get_json()["enterprise_id"]
    second_operator = platform.certificate_login(platform.certificate(*GC, operator="李四"))
    assert second_operator.get_json()["enterprise_id"] == first.get_json()["enterprise_id"]
    stack = platform.stack
    assert stack.count("registry", "SELECT count(*) FROM enterprises WHERE uscc = :u", u=GC[0]) == 1
    assert stack.count("gateway", "SELECT count(*) FROM certificates") == 2  # each login names its certificate
    me = platform.client.get("/api/v1/auth/me", headers=bearer(first.get_json()["access_token"])).get_json()
    assert me["roles"] == ["general_contractor"] and me["kind"] == "enterprise"


def test_a_challenge_works_once(platform: Platform) -> None:
    cert_pem, key_pem = platform.certificate(*LABOUR)
    nonce = platform.client.post("/api/v1/auth/challenge").get_json()["nonce"]
    import base64

    from realname_gateway.certs.devca import sign_nonce
    body = {"certificate": cert_pem, "nonce": nonce, "kind": "labour",
            "signature": base64.b64encode(sign_nonce(key_pem, nonce.encode())).decode()}
    assert platform.client.post("/api/v1/auth/login/certificate", json=body).status_code == 200
    replay = platform.client.post("/api/v1/auth/login/certificate", json=body)
    assert replay.status_code == 401 and replay.get_json()["reason"] == "challenge_invalid"


def test_a_revoked_certificate_cannot_log_in(platform: Platform) -> None:
    certificate = platform.certificate(*LABOUR)
    revoke(platform.ca_dir, certificate[0].encode())
    refused = platform.certificate_login(certificate, "labour")
    assert refused.status_code == 401 and refused.get_json()["reason"] == "certificate_revoked"
    assert platform.stack.count("registry", "SELECT count(*) FROM enterprises") == 0


def test_anonymous_callers_cannot_register_enterprises_any_more(platform: Platform) -> None:
    response = platform.client.post("/api/v1/registry/enterprises",
                                     json={"name": "上海建工", "uscc": GC[0], "kind": "general_contractor"})
    assert response.status_code == 401


def _staff(platform: Platform, enterprise_token: str, username: str, phone: str | None = "13812345678") -> str:
    response = platform.client.post("/api/v1/auth/accounts", headers=bearer(enterprise_token),
                                    json={"username": username, "display_name": "王五", "password": PASSWORD,
                                          **({"phone": phone} if phone else {})})
    assert response.status_code == 201, response.get_json()
    account_id: str = response.get_json()["id"]
    return account_id


def test_staff_accounts_keep_phones_encrypted_masked_and_revealed_only_with_a_reason(platform: Platform) -> None:
    token = platform.enterprise_token(*LABOUR, "labour")
    account_id = _staff(platform, token, "wang.wu")
    listed = platform.client.get("/api/v1/auth/accounts", headers=bearer(token)).get_json()["items"]
    assert [a["phone"] for a in listed] == ["138****5678"]
    with platform.stack.db("gateway").engine.connect() as conn:
        raw = " ".join(str(v) for row in conn.execute(text("SELECT * FROM accounts")) for v in row)
    assert "13812345678" not in raw and "12345678" not in raw
    url = f"/api/v1/auth/accounts/{account_id}"
    no_reason = platform.client.get(f"{url}?reveal=phone", headers=bearer(token))
    assert no_reason.status_code == 422 and no_reason.get_json()["reason"] == "reason_required"
    shown = platform.client.get(f"{url}?reveal=phone&reason=工资卡核对", headers=bearer(token))
    assert shown.get_json()["phone"] == "13812345678"
    audit = "SELECT count(*) FROM outbox WHERE type = 'audit.recorded' AND payload LIKE '%privacy.reveal%'"
    assert platform.stack.count("gateway", audit) == 1
    other = platform.enterprise_token(*GC, "general_contractor")
    assert platform.client.get(url, headers=bearer(other)).status_code == 404


def test_password_logins_lock_after_repeated_failures_and_do_not_tell_who_exists(platform: Platform) -> None:
    token = platform.enterprise_token(*LABOUR, "labour")
    _staff(platform, token, "zhao.liu")
    ok = platform.password_login(f"zhao.liu@{LABOUR[0]}", PASSWORD)
    assert ok.status_code == 200 and ok.get_json()["roles"] == ["staff"]
    wrong = platform.password_login(f"zhao.liu@{LABOUR[0]}", "wrong password 1")
    unknown = platform.password_login(f"nobody.here@{LABOUR[0]}", "wrong password 1")
    assert wrong.status_code == unknown.status_code == 401
    assert {k: v for k, v in wrong.get_json().items() if k not in ("correlation_id",)} == \
        {k: v for k, v in unknown.get_json().items() if k not in ("correlation_id",)}
    for _ in range(5):
        platform.password_login(f"zhao.liu@{LABOUR[0]}", "wrong password 1")
    locked = platform.password_login(f"zhao.liu@{LABOUR[0]}", PASSWORD)  # the right password, from a locked address
    assert locked.status_code == 401 and locked.get_json()["reason"] == "login_failed"
    failures = "SELECT count(*) FROM outbox WHERE type = 'audit.recorded' AND payload LIKE '%\"failure\"%'"
    assert platform.stack.count("gateway", failures) == 8 + 1  # eight failed logins, and the lock they caused


def test_refresh_tokens_rotate_and_a_reused_one_ends_the_session(platform: Platform) -> None:
    first = platform.certificate_login(platform.certificate(*LABOUR), "labour").get_json()
    second = platform.client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    reuse = platform.client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reuse.status_code == 401 and reuse.get_json()["reason"] == "refresh_token_reused"
    after = platform.client.post("/api/v1/auth/refresh", json={"refresh_token": second.get_json()["refresh_token"]})
    assert after.status_code == 401  # the whole session ended


def test_logout_revokes_the_refresh_token(platform: Platform) -> None:
    tokens = platform.certificate_login(platform.certificate(*LABOUR), "labour").get_json()
    logout = platform.client.post("/api/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]})
    assert logout.status_code == 204
    refused = platform.client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refused.status_code == 401


def test_access_tokens_verify_with_the_published_jwks(platform: Platform) -> None:
    tokens = platform.certificate_login(platform.certificate(*LABOUR), "labour").get_json()
    jwks = platform.client.get("/api/v1/auth/jwks").get_json()
    key = jwt.PyJWK(jwks["keys"][0])
    claims = jwt.decode(tokens["access_token"], key.key, algorithms=[key.algorithm_name], audience="realname")
    assert claims["ent"] == tokens["enterprise_id"] and claims["roles"] == ["labour"]
    assert claims["exp"] - claims["iat"] == 300


def test_a_delegate_holds_exactly_what_was_delegated_on_that_project_only(platform: Platform) -> None:
    gc, _ = platform.enterprise(*GC, "general_contractor")
    p1 = platform.project(gc, "SH-2026/0101")  # a project of gc's: it appoints its manager there (R21)
    manager_id, delegate_id = _staff(platform, gc, "pm.chen", None), _staff(platform, gc, "clerk.lin", None)
    appointed = platform.client.put(f"/api/v1/auth/projects/{p1}/manager", headers=bearer(gc),
                                    json={"account_id": manager_id})
    assert appointed.status_code == 200, appointed.get_json()
    manager = platform.password_login(f"pm.chen@{GC[0]}", PASSWORD).get_json()
    assert manager["roles"] == ["project_manager", "staff"]
    granted = platform.client.post(f"/api/v1/auth/projects/{p1}/delegations", headers=bearer(manager["access_token"]),
                                   json={"account_id": delegate_id, "functions": ["confirm_entry"]})
    assert granted.status_code == 201, granted.get_json()
    clerk = platform.password_login(f"clerk.lin@{GC[0]}", PASSWORD).get_json()
    me = platform.client.get("/api/v1/auth/me", headers=bearer(clerk["access_token"])).get_json()
    assert me["projects"] == {p1: ["confirm_entry"]}
    onward = platform.client.post(f"/api/v1/auth/projects/{p1}/delegations", headers=bearer(clerk["access_token"]),
                                  json={"account_id": manager_id, "functions": ["export"]})
    assert onward.status_code == 403  # a delegate cannot delegate further
    elsewhere = platform.client.post("/api/v1/auth/projects/P-2/delegations", headers=bearer(manager["access_token"]),
                                     json={"account_id": delegate_id, "functions": ["export"]})
    assert elsewhere.status_code == 403  # the manager of P-1 manages nothing on P-2
    delegation_id = granted.get_json()["items"][0]["id"]
    revoked = platform.client.delete(f"/api/v1/auth/projects/{p1}/delegations/{delegation_id}",
                                     headers=bearer(manager["access_token"]))
    assert revoked.status_code == 204
    refreshed = platform.client.post("/api/v1/auth/refresh", json={"refresh_token": clerk["refresh_token"]})
    again = platform.client.get("/api/v1/auth/me", headers=bearer(refreshed.get_json()["access_token"])).get_json()
    assert again["projects"] == {}


def test_a_disabled_account_can_neither_log_in_nor_refresh(platform: Platform) -> None:
    token = platform.enterprise_token(*LABOUR, "labour")
    account_id = _staff(platform, token, "sun.qi", None)
    session = platform.password_login(f"sun.qi@{LABOUR[0]}", PASSWORD).get_json()
    disabled = platform.client.patch(f"/api/v1/auth/accounts/{account_id}", headers=bearer(token),
                                     json={"disabled": True})
    assert disabled.status_code == 200 and disabled.get_json()["disabled"] is True
    assert platform.password_login(f"sun.qi@{LABOUR[0]}", PASSWORD).status_code == 401
    assert platform.client.post("/api/v1/auth/refresh",
                                json={"refresh_token": session["refresh_token"]}).status_code == 401


def test_password_guessing_from_one_address_is_slowed_down_with_429_and_retry_after(stack: Stack) -> None:
    platform = build_platform(stack, login_rate="3/minute")
    answers = [platform.password_login(f"user{i}", "wrong password 1") for i in range(4)]
    assert [a.status_code for a in answers] == [401, 401, 401, 429]
    assert answers[-1].get_json()["reason"] == "rate_limited"
    assert int(answers[-1].headers["Retry-After"]) > 0


def test_thirty_clerks_behind_one_address_log_in_with_certificates_at_eight(stack: Stack) -> None:
    defaults = Settings.from_env({})  # the shipped limits, in the in-process limiter
    platform = build_platform(stack, defaults.rate_limit_login,
                              REALNAME_RATE_LIMIT_LOGIN_ADDRESS=defaults.rate_limit_login_address,
                              REALNAME_RATE_LIMIT_CHALLENGE=defaults.rate_limit_challenge)
    assert platform.certificate_login(platform.certificate(*LABOUR), "labour").status_code == 200
    clerks = [platform.certificate(*LABOUR, operator=f"文员{i}") for i in range(30)]
    answers = [platform.certificate_login(clerk) for clerk in clerks]
    assert [a.status_code for a in answers] == [200] * 30, answers[-1].get_json()
    # the challenges were not counted as failed logins: failures from this address are still all admitted
    failures = [platform.password_login("nobody", "wrong") for _ in range(10)]
    assert [f.status_code for f in failures] == [401] * 10
    assert platform.password_login("nobody", "wrong").get_json()["reason"] == "rate_limited"  # per account

"""A punch post is signed with a key derived from the device's password: the exact body, at a time near ours."""

from __future__ import annotations

from realname_codes import punch_signing as ps

NOW = 1_780_000_000.0
BODY = b'{"punches":[{"device":"SN1","worker_key":"7","at":"2026-12-05T07:31:02+08:00","event_key":"e1"}]}'


def test_a_body_signed_with_the_password_s_key_matches() -> None:
    headers = ps.signed_headers("bridge-1a2b3c4d", "s3cret", BODY, now=NOW)
    key = ps.signing_key("s3cret")
    assert headers[ps.ACCOUNT_HEADER] == "bridge-1a2b3c4d"
    assert ps.signature_matches(key, headers[ps.TIMESTAMP_HEADER], BODY, headers[ps.SIGNATURE_HEADER])
    assert ps.signature_matches(key, headers[ps.TIMESTAMP_HEADER], BODY, headers[ps.SIGNATURE_HEADER].upper())


def test_another_body_another_time_or_another_password_does_not_match() -> None:
    headers = ps.signed_headers("gate-1", "s3cret", BODY, now=NOW)
    stamp, claimed = headers[ps.TIMESTAMP_HEADER], headers[ps.SIGNATURE_HEADER]
    assert not ps.signature_matches(ps.signing_key("s3cret"), stamp, BODY + b" ", claimed)
    assert not ps.signature_matches(ps.signing_key("s3cret"), str(int(NOW) + 1), BODY, claimed)
    assert not ps.signature_matches(ps.signing_key("rotated"), stamp, BODY, claimed)


def test_the_key_is_not_the_password_and_differs_per_password() -> None:
    assert ps.signing_key("a") != ps.signing_key("b")
    assert b"s3cret" not in ps.signing_key("s3cret")
    assert len(ps.signing_key("s3cret")) == 32


def test_a_timestamp_is_taken_within_five_minutes_either_way_and_only_as_unix_seconds() -> None:
    assert ps.within_window(str(int(NOW)), NOW)
    assert ps.within_window(str(int(NOW) - 300), NOW)
    assert ps.within_window(str(int(NOW) + 300), NOW)
    assert not ps.within_window(str(int(NOW) - 301), NOW)
    assert not ps.within_window(str(int(NOW) + 301), NOW)
    for odd in ("", "-5", "1.5e9", "2026-12-05T07:31:02Z", "9" * 40, " 1780000000"):
        assert not ps.within_window(odd, NOW), odd

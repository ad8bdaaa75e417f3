"""The attendance ledger's HTTP API over real PostgreSQL (R28): corrections (补卡) by the general contractor with
reason and evidence, audited and told, never an edit of the gates' punches; reads within R21's visibility; refusals
as problem+json in Chinese and English."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pytest
from werkzeug.test import TestResponse

from realname_codes.roles import CORRECT_ATTENDANCE, MANAGE_GATES, REGULATOR, STAFF, VIEW_WORKFORCE
from realname_kit.timeutil import today_in_china
from tests.support.attendance_site import GC, LA, LB, Site, build_site
from tests.support.ledger import admit, after_day, keeper, punch
from tests.support.stack import Stack
from tests.support.tokens import bearer

DAY = date.today() - timedelta(days=3)
PDF = b"%PDF-1.4\n% signed timesheet\n" + b"0" * 2000
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100


@pytest.fixture
def site(stack: Stack) -> Site:
    return build_site(stack)


def ledger(site: Site) -> str:
    return f"/projects/{site.project_id}/ledger"


def as_corrector(site: Site, method: str, path: str, **kwargs: Any) -> TestResponse:
    return site.call(method, path, STAFF, GC, projects={site.project_id: [CORRECT_ATTENDANCE]}, **kwargs)


def correct(site: Site, worker: str, *, hh_mm: str = "17:30", kind: str = "missing_out", day: date = DAY,
            evidence: tuple[bytes, str] | None = (PDF, "考勤表.pdf"), key: str | None = None,
            **fields: str) -> TestResponse:
    form: dict[str, Any] = {"worker_id": worker, "day": day.isoformat(), "kind": kind,
                            "at": f"{day.isoformat()}T{hh_mm}:00+08:00", "reason": "闸机断电，班组长签字确认",
                            **fields}
    if evidence is not None:
        form["evidence"] = (io.BytesIO(evidence[0]), evidence[1])
    if key is not None:
        return site.client.post(f"/api/v1/attendance{ledger(site)}/corrections", data=form,
                                content_type="multipart/form-data", headers={**corrector_token(site),
                                                                             "Idempotency-Key": key})
    return as_corrector(site, "POST", f"{ledger(site)}/corrections", data=form, content_type="multipart/form-data")


def corrector_token(site: Site) -> dict[str, str]:
    return bearer(site.stack.settings, STAFF, enterprise_id=GC, subject=f"op-{GC}",
                  projects={site.project_id: [CORRECT_ATTENDANCE]})


def admitted_with_a_missing_out(site: Site, employer: str = LA) -> str:
    worker = site.worker(employer, "李四")
    admit(site, worker, employer, DAY - timedelta(days=10), team_id="team-1")
    punch(site, worker, DAY, "07:30", "in")
    keeper(site).round(after_day(DAY, -600))
    return worker


def test_a_correction_completes_the_day_and_the_gates_punches_stay_visible_beside_it(site: Site) -> None:
    worker = admitted_with_a_missing_out(site)
    recorded = correct(site, worker)
    assert recorded.status_code == 201, recorded.get_json()
    body = recorded.get_json()
    assert (body["kind"], body["direction"], body["evidence_type"], body["evidence_bytes"]) == \
        ("missing_out", "out", "application/pdf", len(PDF))
    keeper(site).round(after_day(DAY, -300))
    day = site.call("GET", f"{ledger(site)}/workers/{worker}/days/{DAY.isoformat()}", REGULATOR).get_json()
    assert (day["ledger"]["minutes"], day["ledger"]["anomaly"], day["ledger"]["corrected"]) == (600, None, True)
    assert day["ledger"]["punches"] == 1
    assert [p["direction"] for p in day["punches"]] == ["in"]
    assert [c["reason"] for c in day["corrections"]] == ["闸机断电，班组长签字确认"]


def test_a_correction_is_audited_told_and_its_evidence_stored_sealed(site: Site) -> None:
    worker = admitted_with_a_missing_out(site)
    correction = correct(site, worker).get_json()
    audits = [a for a in site.events("audit.recorded") if a["action"] == "attendance.corrected"]
    assert [(a["subject"], a["reason"], a["details"]["correction_id"]) for a in audits] == [
        (worker, "闸机断电，班组长签字确认", correction["id"])]
    told = site.events("attendance.corrected")
    assert [(t["worker_id"], t["employer_id"], t["kind"], t["day"]) for t in told] == [
        (worker, LA, "missing_out", DAY.isoformat())]
    assert site.count("SELECT count(*) FROM ledger_corrections WHERE evidence_enc LIKE '%signed timesheet%'") == 0
    assert site.count("SELECT count(*) FROM ledger_corrections WHERE evidence_enc IS NOT NULL") == 1


def test_a_correction_of_a_closed_day_tells_the_day_again_corrected_late(site: Site) -> None:
    worker = admitted_with_a_missing_out(site)
    keeper(site).round(after_day(DAY, 60))
    assert correct(site, worker, evidence=None, evidence_reference="项目部档案柜 3 号").status_code == 201
    keeper(site).round(after_day(DAY, 24 * 60))
    told = site.events("attendance.day_closed")
    assert [(t["version"], t["minutes"], t["corrected"], t["corrected_late"]) for t in told] == [
        (1, 0, False, False), (2, 600, True, True)]


def test_a_correction_sent_again_with_its_idempotency_key_is_recorded_once(site: Site) -> None:
    worker = admitted_with_a_missing_out(site)
    first = correct(site, worker, key="fix-1")
    again = correct(site, worker, key="fix-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.get_json()["id"] == first.get_json()["id"]
    assert site.count("SELECT count(*) FROM ledger_corrections") == 1


@pytest.mark.parametrize(("change", "status", "reason"), [
    ({"evidence": None}, 422, "evidence_required"),
    ({"evidence": (b"GIF89a....", "x.gif")}, 422, "evidence_not_pdf_jpeg_or_png"),
    ({"evidence": (b"%PDF-" + b"0" * (5 * 1024 * 1024), "big.pdf")}, 413, "evidence_too_large"),
    ({"hh_mm": "17:30", "day": DAY - timedelta(days=1)}, 422, "worker_not_admitted"),
    ({"kind": "other"}, 422, "correction_direction_required"),
    ({"kind": "missing_in", "direction": "out"}, 422, "correction_direction_mismatch"),
    ({"reason": "   "}, 422, "correction_reason_required"),
])
def test_a_refused_correction_says_why_in_chinese_and_english_and_records_nothing(
        site: Site, change: dict[str, Any], status: int, reason: str) -> None:
    worker = admitted_with_a_missing_out(site)
    if change.get("day") is not None:  # admitted ten days before DAY: eleven days before is refused
        change = {**change, "day": DAY - timedelta(days=11)}
    refused = correct(site, worker, **change)
    assert (refused.status_code, refused.get_json()["reason"]) == (status, reason), refused.get_json()
    assert refused.mimetype == "application/problem+json"
    assert refused.get_json()["message"] and refused.get_json()["message_zh"]
    assert site.count("SELECT count(*) FROM ledger_corrections") == 0
    assert site.events("attendance.corrected") == []


def test_a_time_not_on_the_day_corrected_is_refused(site: Site) -> None:
    worker = admitted_with_a_missing_out(site)
    form = {"worker_id": worker, "day": DAY.isoformat(), "kind": "missing_out",
            "at": f"{(DAY + timedelta(days=1)).isoformat()}T01:00:00+08:00", "reason": "夜班",
            "evidence_reference": "档案柜"}
    refused = as_corrector(site, "POST", f"{ledger(site)}/corrections", data=form, content_type="multipart/form-data")
    assert (refused.status_code, refused.get_json()["reason"]) == (422, "correction_time_off_day")


def test_only_the_general_contractors_holders_of_correct_attendance_correct(site: Site) -> None:
    worker = admitted_with_a_missing_out(site)
    form = {"worker_id": worker, "day": DAY.isoformat(), "kind": "missing_out",
            "at": f"{DAY.isoformat()}T17:30:00+08:00", "reason": "补卡", "evidence_reference": "档案柜"}
    path = f"{ledger(site)}/corrections"
    multipart = "multipart/form-data"
    gates_only = site.call("POST", path, STAFF, GC, projects={site.project_id: [MANAGE_GATES]}, data=form,
                           content_type=multipart)
    employer = site.as_party("POST", path, LA, data=form, content_type=multipart)
    regulator = site.call("POST", path, REGULATOR, data=form, content_type=multipart)
    assert (gates_only.status_code, gates_only.get_json()["reason"]) == (403, "function_not_delegated")
    assert (employer.status_code, employer.get_json()["reason"]) == (403, "not_a_participant")
    assert regulator.status_code == 403
    assert site.count("SELECT count(*) FROM ledger_corrections") == 0


def visible_workers(site: Site, answer: TestResponse) -> set[str]:
    assert answer.status_code == 200, answer.get_json()
    return {item["worker_id"] for item in answer.get_json()["items"]}


def test_each_reads_the_ledger_as_r21_lets_it(site: Site) -> None:
    mine, theirs = site.worker(LA), site.worker(LB)
    for worker, employer in ((mine, LA), (theirs, LB)):
        admit(site, worker, employer, DAY - timedelta(days=10))
        punch(site, worker, DAY, "07:30", "in")
        punch(site, worker, DAY, "17:30", "out")
    keeper(site).round(after_day(DAY, -300))
    days = f"{ledger(site)}/days"
    assert visible_workers(site, site.call("GET", days, REGULATOR)) == {mine, theirs}
    assert visible_workers(site, site.as_party("GET", days, GC)) == {mine, theirs}
    assert visible_workers(site, site.call("GET", days, STAFF, GC,
                                           projects={site.project_id: [VIEW_WORKFORCE]})) == {mine, theirs}
    assert visible_workers(site, site.as_party("GET", days, LA)) == {mine}
    assert visible_workers(site, site.as_party("GET", days, LB)) == {theirs}
    assert site.call("GET", days, STAFF, GC, projects={site.project_id: [MANAGE_GATES]}).status_code == 404
    assert site.call("GET", days, "labour", "e-stranger").status_code == 404
    assert site.client.get(f"/api/v1/attendance{days}").status_code == 401
    other = site.as_party("GET", f"{ledger(site)}/workers/{theirs}/days/{DAY.isoformat()}", LA)
    assert (other.status_code, other.get_json()["reason"]) == (404, "worker_not_found")


def test_the_month_gives_each_worker_days_and_hours(site: Site) -> None:
    worker = site.worker(LA, "王五")
    first = DAY.replace(day=1)
    admit(site, worker, LA, first - timedelta(days=1), team_id="team-1")
    days = [first + timedelta(days=n) for n in range(3)]
    for day in days:
        punch(site, worker, day, "08:00", "in")
        punch(site, worker, day, "17:00", "out")
    keeper(site).round(after_day(days[-1], -300))
    month = site.as_party("GET", f"{ledger(site)}/months/{first:%Y-%m}", GC).get_json()
    assert month["month"] == f"{first:%Y-%m}"
    [row] = month["items"]
    assert (row["worker_id"], row["name"], row["days"], row["minutes"], row["hours"], row["team_id"]) == \
        (worker, "王五", 3, 3 * 540, 27.0, "team-1")
    teams = site.as_party("GET", f"{ledger(site)}/teams", GC,
                          query_string={"from": first.isoformat(), "to": days[-1].isoformat()}).get_json()
    assert [(t["team_id"], t["workers"], t["days"], t["hours"]) for t in teams["items"]] == [("team-1", 1, 3, 27.0)]
    employers = site.as_party("GET", f"{ledger(site)}/employers", LA,
                              query_string={"from": first.isoformat(), "to": days[-1].isoformat()}).get_json()
    assert [(e["employer_id"], e["days"]) for e in employers["items"]] == [(LA, 3)]
    daily = site.as_party("GET", f"{ledger(site)}/daily", GC,
                          query_string={"from": first.isoformat(), "to": days[-1].isoformat()}).get_json()
    assert [(d["day"], d["headcount"]) for d in daily["items"]] == [(d.isoformat(), 1) for d in days]


def test_a_month_or_day_written_wrong_is_refused_in_chinese_and_english(site: Site) -> None:
    month = site.as_party("GET", f"{ledger(site)}/months/2026-13", GC)
    day = site.as_party("GET", f"{ledger(site)}/workers/w/days/2026-02-30", GC)
    for answer, reason in ((month, "month_invalid"), (day, "day_invalid")):
        assert (answer.status_code, answer.get_json()["reason"]) == (422, reason)
        assert answer.mimetype == "application/problem+json" and answer.get_json()["message_zh"]


def test_the_day_list_pages_with_its_cursor(site: Site) -> None:
    workers = [site.worker(LA) for _ in range(5)]
    for worker in workers:
        punch(site, worker, DAY, "07:30", "in")
    keeper(site).round(after_day(DAY, -600))
    seen, cursor = [], None
    while True:
        page = site.as_party("GET", f"{ledger(site)}/days", GC,
                             query_string={"limit": 2, **({"cursor": cursor} if cursor else {})}).get_json()
        seen += [item["worker_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(workers) and len(seen) == 5
    flagged = site.as_party("GET", f"{ledger(site)}/days", GC, query_string={"anomaly": "false"}).get_json()
    assert flagged["items"] == []


def test_on_site_now_are_those_whose_last_passage_today_is_an_in(site: Site) -> None:
    today = today_in_china()
    inside, left = site.worker(LA), site.worker(LA)
    punch(site, inside, today, "00:01", "in")
    punch(site, left, today, "00:01", "in")
    punch(site, left, today, "00:02", "out")
    answer = site.as_party("GET", f"{ledger(site)}/on-site", GC).get_json()
    assert ([w["worker_id"] for w in answer["workers"]], answer["count"], answer["punched_today"]) == \
        ([inside], 1, 2)


def test_the_evidence_file_is_shown_to_whoever_reads_the_workers_day_each_view_audited(site: Site) -> None:
    worker = admitted_with_a_missing_out(site)
    correction = correct(site, worker).get_json()["id"]
    path = f"{ledger(site)}/corrections/{correction}/evidence"
    shown = site.as_party("GET", path, LA)
    assert (shown.status_code, shown.mimetype, bytes(shown.data)) == (200, "application/pdf", PDF)
    assert shown.headers["Cache-Control"] == "no-store"
    assert site.call("GET", path, REGULATOR).status_code == 200
    assert site.as_party("GET", path, LB).status_code == 404
    views = [a for a in site.events("audit.recorded") if a["action"] == "attendance.correction_evidence_viewed"]
    assert [a["subject"] for a in views] == [worker, worker]
    referenced = correct(site, worker, evidence=None, evidence_reference="档案柜").get_json()["id"]
    none = site.as_party("GET", f"{ledger(site)}/corrections/{referenced}/evidence", GC)
    assert (none.status_code, none.get_json()["reason"]) == (404, "evidence_not_found")

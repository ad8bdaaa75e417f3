"""Worker search (R14) on PostgreSQL (pg_trgm) and SQLite (FTS5): every test runs on both databases."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from realname_kit.db import Database
from realname_kit.migrate import upgrade
from realname_kit.pagination import encode_cursor
from realname_kit.privacy import Keyring
from realname_kit.problems import Problem
from realname_kit.service import load_spec
from realname_registry.models import (
    ID_NUMBER,
    ID_TAIL_FIELD,
    PHONE,
    PHONE_TAIL_FIELD,
    WAGE_CARD,
    Employment,
    Team,
    Worker,
)
from realname_registry.search import WorkerFilters, index_names, reindex_name, search_workers, tail_index

KEYRING = Keyring("k1", {"k1": secrets.token_bytes(32)}, secrets.token_bytes(32))
EMPLOYER_1, EMPLOYER_2, EMPLOYER_3 = (f"e0000000-0000-4000-8000-00000000000{n}" for n in (1, 2, 3))
PROJECT_1, PROJECT_2 = "p0000000-0000-4000-8000-000000000001", "p0000000-0000-4000-8000-000000000002"
TEAM_1, TEAM_2, TEAM_3, TEAM_4 = (f"t0000000-0000-4000-8000-00000000000{n}" for n in (1, 2, 3, 4))
TEAMS = {TEAM_1: (EMPLOYER_1, PROJECT_1), TEAM_2: (EMPLOYER_1, PROJECT_2), TEAM_3: (EMPLOYER_2, PROJECT_1),
         TEAM_4: (EMPLOYER_3, PROJECT_1)}


@dataclass(frozen=True)
class Hire:
    employer: str
    team: str
    status: str = "active"
    trade: str = "010"


@dataclass(frozen=True)
class Person:
    name: str
    id_number: str
    phone: str
    hires: tuple[Hire, ...] = ()  # oldest first
    identity_status: str = "verified"
    category: str = "construction"


PEOPLE = [
    Person("张伟", "31010419900101123X", "13812345678", (Hire(EMPLOYER_1, TEAM_1),)),
    Person("张伟明", "310104198505054321", "13912340001", (Hire(EMPLOYER_1, TEAM_1, trade="020"),)),
    Person("李四", "44030419851231002X", "13700001234", (Hire(EMPLOYER_2, TEAM_3),)),
    Person("阿卜杜拉·买买提", "650102199003030011", "15000005678", (Hire(EMPLOYER_2, TEAM_3),)),
    Person("陈静", "320102198808080022", "13600002222", (Hire(EMPLOYER_1, TEAM_2, status="ended"),)),
    Person("刘洋", "330106199202020033", "13500003333",
           (Hire(EMPLOYER_1, TEAM_1, status="ended"), Hire(EMPLOYER_2, TEAM_3))),
    Person("赵敏", "340104199507070044", "13400004444", identity_status="unverified"),
    Person("王芳", "11010119880808123X", "18600005678", (Hire(EMPLOYER_1, TEAM_2, trade="130"),),
           category="site_staff"),
    Person("欧阳娜娜", "510104199606060055", "13300005555", (Hire(EMPLOYER_2, TEAM_3),)),
] + [  # a crew for paging through
    Person(f"周{given}", f"4101051991010{n:04d}", f"1770000{n:04d}", (Hire(EMPLOYER_3, TEAM_4),))
    for n, given in enumerate("一二三四五六七八九十甲乙丙丁戊己庚")
]
EVERYONE = {p.name for p in PEOPLE}


def add_person(session: Session, person: Person) -> Worker:
    worker = Worker(name=person.name, sex="male", ethnicity="01", birth_date=date(1990, 1, 1), address="上海市徐汇区",
                    issuing_authority="上海市公安局", card_valid_from=date(2020, 1, 1), card_valid_to=None,
                    identity_status=person.identity_status, category=person.category,
                    id_tail_bidx=tail_index(KEYRING, ID_TAIL_FIELD, person.id_number),
                    phone_tail_bidx=tail_index(KEYRING, PHONE_TAIL_FIELD, person.phone),
                    **ID_NUMBER.seal(KEYRING, person.id_number), **PHONE.seal(KEYRING, person.phone))
    session.add(worker)
    session.flush()
    index_names(session, [(worker.seq, worker.name)])
    for hire in person.hires:
        hire_worker(session, worker, hire)
    return worker


def hire_worker(session: Session, worker: Worker, hire: Hire) -> Employment:
    employment = Employment(
        worker_id=worker.id, worker_seq=worker.seq, employer_id=hire.employer, status=hire.status,
        worker_type="long_term", contract_number=f"HT-{worker.seq}", contract_start=date(2025, 1, 1),
        contract_end=date(2027, 12, 31), wage_type="daily", bank_code="102", trade_code=hire.trade, team_id=hire.team,
        registered_by="test", ended_on=date(2025, 6, 30) if hire.status == "ended" else None,
        **WAGE_CARD.seal(KEYRING, "6222021234567890123"))
    session.add(employment)
    session.flush()
    return employment


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """The registry's schema as its migrations make it (pg_trgm index, FTS5 table), and PEOPLE in it."""
    if request.param == "postgresql":
        url = request.getfixturevalue("module_stack").settings.database_url_for("registry")
    else:
        url = f"sqlite:///{Path(tmp_path_factory.mktemp('search')) / 'registry.db'}"
    upgrade(load_spec("registry"), url)
    db = Database(url)
    with db.transaction() as session:
        session.add_all(Team(id=team, employer_id=employer, project_id=project, name=f"班组{n}")
                        for n, (team, (employer, project)) in enumerate(TEAMS.items()))
        for person in PEOPLE:
            add_person(session, person)
    yield db
    db.dispose()


@pytest.fixture
def session(database: Database) -> Iterator[Session]:
    """A session whose changes are rolled back: the data stays as seeded for the next test."""
    with database.sessions() as s:
        yield s
        s.rollback()


def search(session: Session, employer: str | None = None, *, cursor: str | None = None,
           **filters: str) -> list[tuple[Worker, Employment | None]]:
    rows, _ = search_workers(session, KEYRING, WorkerFilters(**filters),  # type: ignore[arg-type]
                             employer_id=employer, limit=500, cursor=cursor)
    return rows


def names(session: Session, employer: str | None = None, **filters: str) -> set[str]:
    found = [worker.name for worker, _ in search(session, employer, **{"status": "all", **filters})]
    assert len(found) == len(set(found)), f"a worker is listed twice: {found}"
    return set(found)


def refused(session: Session, reason: str, **filters: str) -> None:
    with pytest.raises(Problem) as caught:
        search(session, **filters)
    assert (caught.value.status, caught.value.reason) == (422, reason)


def test_a_two_character_name_is_found_though_trigrams_miss_it(session: Session) -> None:
    assert names(session, name="张伟") == {"张伟", "张伟明"}
    assert names(session, name="李四") == {"李四"}


def test_a_surname_alone_finds_everyone_who_bears_it(session: Session) -> None:
    assert names(session, name="张") == {"张伟", "张伟明"}
    assert names(session, name="周") == {p.name for p in PEOPLE if p.name.startswith("周")}


def test_a_given_name_is_found_without_the_surname(session: Session) -> None:
    assert names(session, name="伟明") == {"张伟明"}
    assert names(session, name="娜娜") == {"欧阳娜娜"}
    assert names(session, name="静") == {"陈静"}


def test_three_characters_or_more_are_found_anywhere_in_the_name(session: Session) -> None:
    assert names(session, name="张伟明") == {"张伟明"}
    assert names(session, name="阳娜娜") == {"欧阳娜娜"}
    assert names(session, name="买买提") == {"阿卜杜拉·买买提"}
    assert names(session, name="欧阳娜娜") == {"欧阳娜娜"}


def test_a_minority_name_is_found_whatever_middle_dot_is_typed(session: Session) -> None:
    for query in ("杜拉·买买", "阿卜杜拉・买买提", "阿卜杜拉•买买提", "拉·买", "拉买"):
        assert names(session, name=query) == {"阿卜杜拉·买买提"}, query


def test_spaces_and_full_width_forms_in_a_name_query_do_not_matter(session: Session) -> None:
    assert names(session, name=" 张 伟 ") == {"张伟", "张伟明"}
    assert names(session, name="张\u3000伟明") == {"张伟明"}  # the ideographic space of Chinese input methods


def test_like_wildcards_in_a_name_query_match_only_themselves(session: Session) -> None:
    assert names(session, name="%伟明") == set()
    assert names(session, name="张_明") == set()
    assert names(session, name="张%") == set()


def test_a_name_query_of_only_wildcards_spaces_or_dots_is_refused(session: Session) -> None:
    for query in ("", "   ", "%", "%_*?", "·", " · "):
        refused(session, "name_query", name=query)


def test_an_id_number_is_found_whole(session: Session) -> None:
    assert names(session, id_number="31010419900101123X") == {"张伟"}
    assert names(session, id_number="310104 19900101 123x") == {"张伟"}
    assert names(session, id_number="３１０１０４１９９００１０１１２３Ｘ") == {"张伟"}  # full-width


def test_an_id_number_is_found_by_its_last_four_characters(session: Session) -> None:
    assert names(session, id_number="123x") == {"张伟", "王芳"}
    assert names(session, id_number="0055") == {"欧阳娜娜"}


def test_an_id_number_query_of_another_length_is_refused(session: Session) -> None:
    for query in ("123", "12345", "3101041990", "31010419900101123X0"):
        refused(session, "id_number_query", id_number=query)


def test_a_phone_is_found_whole_or_by_its_last_four_digits(session: Session) -> None:
    assert names(session, phone="+86 138-1234-5678") == {"张伟"}
    assert names(session, phone="13812345678") == {"张伟"}
    assert names(session, phone="5678") == {"张伟", "王芳", "阿卜杜拉·买买提"}


def test_a_phone_query_of_another_length_or_with_letters_is_refused(session: Session) -> None:
    for query in ("567", "12345", "1381234567", "abcd5678", "5678x"):
        refused(session, "phone_query", phone=query)


def test_an_employer_finds_only_its_own_workers(session: Session) -> None:
    rows = search(session, EMPLOYER_1)
    assert {w.name for w, _ in rows} == {"张伟", "张伟明", "王芳"}
    assert all(e is not None and (e.employer_id, e.status) == (EMPLOYER_1, "active") for _, e in rows)
    assert {w.name for w, _ in search(session, EMPLOYER_2)} == {"李四", "阿卜杜拉·买买提", "刘洋", "欧阳娜娜"}
    assert names(session, EMPLOYER_2, name="张") == set()
    assert names(session, EMPLOYER_2, id_number="123X") == set()
    assert names(session, EMPLOYER_1, phone="5678") == {"张伟", "王芳"}


def test_an_employer_finds_its_former_workers_when_it_asks_for_ended_ones(session: Session) -> None:
    rows = search(session, EMPLOYER_1, status="ended")
    assert {w.name for w, _ in rows} == {"陈静", "刘洋"}
    assert all(e is not None and (e.employer_id, e.status) == (EMPLOYER_1, "ended") for _, e in rows)
    assert names(session, EMPLOYER_1) == {"张伟", "张伟明", "王芳", "陈静", "刘洋"}


def test_a_worker_employed_twice_by_one_employer_is_listed_once_by_the_current_contract(session: Session) -> None:
    chen = next(w for w, _ in search(session, status="all", name="陈静"))
    again = hire_worker(session, chen, Hire(EMPLOYER_1, TEAM_1, status="ended", trade="240"))
    assert [(w.name, e and e.seq) for w, e in search(session, EMPLOYER_1, status="ended", name="陈静")] == [
        ("陈静", again.seq)]  # the later of two ended contracts
    now = hire_worker(session, chen, Hire(EMPLOYER_1, TEAM_1))
    assert [(w.name, e and e.seq) for w, e in search(session, EMPLOYER_1, status="all", name="陈静")] == [
        ("陈静", now.seq)]


def test_a_regulator_finds_every_worker(session: Session) -> None:
    rows = {w.name: e for w, e in search(session, status="all")}
    assert set(rows) == EVERYONE
    assert rows["赵敏"] is None  # registered, never employed
    liu, chen = rows["刘洋"], rows["陈静"]
    assert liu is not None and (liu.employer_id, liu.status) == (EMPLOYER_2, "active")  # the current, not the older
    assert chen is not None and (chen.employer_id, chen.status) == (EMPLOYER_1, "ended")  # the latest


def test_a_regulator_sees_active_workers_by_default_and_ended_ones_when_asked(session: Session) -> None:
    assert {w.name for w, _ in search(session)} == EVERYONE - {"陈静", "赵敏"}
    assert {w.name for w, _ in search(session, status="ended")} == {"陈静"}  # 刘洋 works elsewhere now


def test_workers_are_found_by_trade_team_and_project(session: Session) -> None:
    assert names(session, trade_code="020") == {"张伟明"}
    assert {w.name for w, _ in search(session, EMPLOYER_1, trade_code="010")} == {"张伟"}
    assert names(session, EMPLOYER_1, trade_code="010") == {"张伟", "刘洋", "陈静"}  # with the ended contracts
    assert names(session, team_id=TEAM_2) == {"王芳", "陈静"}
    assert {w.name for w, _ in search(session, team_id=TEAM_2)} == {"王芳"}
    assert names(session, project_id=PROJECT_2) == {"王芳", "陈静"}
    assert names(session, EMPLOYER_2, project_id=PROJECT_2) == set()


def test_workers_are_found_by_identity_status_and_category(session: Session) -> None:
    assert names(session, identity_status="unverified") == {"赵敏"}
    assert names(session, category="site_staff") == {"王芳"}
    assert names(session, EMPLOYER_1, category="site_staff") == {"王芳"}


def test_filters_combine(session: Session) -> None:
    assert names(session, EMPLOYER_1, name="张", trade_code="020") == {"张伟明"}
    assert names(session, name="张伟", id_number="123X") == {"张伟"}
    assert names(session, name="周", phone="0003", team_id=TEAM_4) == {"周四"}


def pages(session: Session, employer: str | None, limit: int, **filters: str) -> list[list[int]]:
    found, cursor = [], None
    while True:
        rows, cursor = search_workers(session, KEYRING, WorkerFilters(**filters),  # type: ignore[arg-type]
                                      employer_id=employer, limit=limit, cursor=cursor)
        found.append([w.seq for w, _ in rows])
        if cursor is None:
            return found


@pytest.mark.parametrize(("employer", "filters"), [(None, {"status": "all"}), (EMPLOYER_3, {}),
                                                   (EMPLOYER_3, {"name": "周"}), (None, {"name": "周"})])
def test_pages_follow_each_other_without_gaps_or_repeats(session: Session, employer: str | None,
                                                        filters: dict[str, str]) -> None:
    whole = [w.seq for w, _ in search(session, employer, **filters)]
    assert len(whole) >= 17
    found = pages(session, employer, 4, **filters)
    assert all(len(page) == 4 for page in found[:-1]) and 1 <= len(found[-1]) <= 4
    assert [seq for page in found for seq in page] == whole == sorted(whole)


def test_a_worker_registered_between_two_pages_shifts_no_page(session: Session) -> None:
    first, cursor = search_workers(session, KEYRING, WorkerFilters(name="周"), employer_id=EMPLOYER_3, limit=5,
                                   cursor=None)
    newcomer = add_person(session, Person("周新", "410105199101019999", "17700009999", (Hire(EMPLOYER_3, TEAM_4),)))
    rest = [w.seq for page in pages_after(session, cursor) for w in page]
    seen = [w.seq for w, _ in first] + rest
    assert len(seen) == len(set(seen)) == 18
    assert seen[-1] == newcomer.seq


def pages_after(session: Session, cursor: str | None) -> Iterator[list[Worker]]:
    while cursor is not None:
        rows, cursor = search_workers(session, KEYRING, WorkerFilters(name="周"), employer_id=EMPLOYER_3, limit=5,
                                      cursor=cursor)
        yield [w for w, _ in rows]


def test_the_last_page_has_no_next_cursor(session: Session) -> None:
    rows, cursor = search_workers(session, KEYRING, WorkerFilters(name="张"), employer_id=None, limit=2,
                                  cursor=None)
    assert len(rows) == 2 and cursor is None


def test_a_renamed_worker_is_found_by_the_new_name_only(session: Session) -> None:
    worker = next(w for w, _ in search(session, name="李四"))
    session.execute(update(Worker).where(Worker.seq == worker.seq).values(name="李思远"))
    reindex_name(session, worker.seq, "李思远")
    assert names(session, name="李四") == set()
    assert names(session, name="思远") == names(session, name="李思远") == {"李思远"}
    assert names(session, name="李") == {"李思远"}


def test_a_cursor_the_list_did_not_give_out_is_refused(session: Session) -> None:
    for cursor in ("not a cursor", encode_cursor({"after": "12"}), encode_cursor({"before": 3}),
                   encode_cursor({"after": True})):
        with pytest.raises(Problem) as caught:
            search(session, cursor=cursor)
        assert (caught.value.status, caught.value.reason) == (400, "cursor_invalid")


def test_an_unknown_status_is_refused(session: Session) -> None:
    refused(session, "status_query", status="resigned")


def test_a_long_name_typed_with_one_character_wrong_is_found_on_postgresql_only(session: Session) -> None:
    """Similar names are pg_trgm's (distributed mode); SQLite's FTS5 (all-in-one) matches what was typed."""
    typo = names(session, name="阿不杜拉·买买提")
    assert typo == ({"阿卜杜拉·买买提"} if session.get_bind().dialect.name == "postgresql" else set())
    assert names(session, name="阿卜杜拉·买买提") == {"阿卜杜拉·买买提"}

"""Worker search benchmark (R14): a million workers on PostgreSQL, searched as employers and regulators do.

    .venv/bin/python bench/registry_search.py [--workers 1000000] [--queries 500] [--keep] [--explain]

Creates a database of its own on the local PostgreSQL (or REALNAME_DATABASE_URL's server), migrates it,
loads the workers with COPY (common surnames weighted, one- and two-character given names; 200 employers,
each worker with an active employment in a team) and their name pieces, runs ANALYZE, then times
``search_workers`` for each kind of query, as a regulator and as the worker's employer. Prints one JSON
object: load seconds, p50/p95/p99 milliseconds per kind, the overall p95 against the 50 ms target, rows
loaded and peak memory. The database is dropped at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from operator import mul
from typing import Any

from sqlalchemy import insert, text

from realname_kit.db import Database, drop_database
from realname_kit.logs import configure_logging
from realname_kit.migrate import upgrade
from realname_kit.privacy import Keyring
from realname_kit.service import load_spec
from realname_kit.settings import with_database
from realname_registry.models import ID_NUMBER, ID_TAIL_FIELD, PHONE, PHONE_TAIL_FIELD, WAGE_CARD, Project, Team
from realname_registry.search import WorkerFilters, search_query, search_workers, tail_index
from realname_registry.search_names import name_grams

POSTGRES = os.environ.get("REALNAME_DATABASE_URL") or "postgresql+psycopg://postgres@127.0.0.1:5432/"
TARGET_P95_MS = 50
EMPLOYERS, PROJECTS, TEAMS_PER_EMPLOYER, CHUNK = 200, 50, 10, 20_000
PAGE = 50  # the API's default page

# Share of the population (per cent, rounded) of the commonest surnames; the rest share what is left.
SURNAMES = {
    "王": 7.1, "李": 7.0, "张": 6.7, "刘": 5.4, "陈": 4.5, "杨": 3.1, "黄": 2.2, "赵": 2.0, "吴": 2.0, "周": 1.9,
    "徐": 1.3, "孙": 1.3, "马": 1.2, "朱": 1.1, "胡": 1.0, "郭": 0.9, "何": 0.9, "高": 0.8, "林": 0.8, "罗": 0.8,
    "郑": 0.7, "梁": 0.7, "谢": 0.6, "宋": 0.5, "唐": 0.5, "许": 0.5, "韩": 0.5, "冯": 0.4, "邓": 0.4, "曹": 0.4,
    "彭": 0.4, "曾": 0.4, "肖": 0.4, "田": 0.4, "董": 0.3, "袁": 0.3, "潘": 0.3, "于": 0.3, "蒋": 0.3, "蔡": 0.3,
    "余": 0.3, "杜": 0.3, "叶": 0.3, "程": 0.3, "苏": 0.2, "魏": 0.2, "吕": 0.2, "丁": 0.2, "任": 0.2, "沈": 0.2,
    "姚": 0.2, "卢": 0.2, "姜": 0.2, "崔": 0.2, "钟": 0.2, "谭": 0.2, "陆": 0.2, "汪": 0.2, "范": 0.2, "金": 0.2,
    "石": 0.2, "廖": 0.2, "贾": 0.2, "夏": 0.2, "韦": 0.2, "付": 0.2, "方": 0.2, "白": 0.2, "邹": 0.2, "孟": 0.2,
    "熊": 0.2, "秦": 0.2, "邱": 0.2, "江": 0.2, "尹": 0.2, "薛": 0.2, "闫": 0.2, "段": 0.1, "雷": 0.1, "侯": 0.1,
    "龙": 0.1, "史": 0.1, "陶": 0.1, "黎": 0.1, "贺": 0.1, "顾": 0.1, "毛": 0.1, "郝": 0.1, "龚": 0.1, "邵": 0.1,
    "万": 0.1, "钱": 0.1, "严": 0.1, "覃": 0.1, "武": 0.1, "戴": 0.1, "莫": 0.1, "孔": 0.1, "向": 0.1, "汤": 0.1,
    "欧阳": 0.05, "司马": 0.02, "诸葛": 0.02, "上官": 0.02,
}
# Characters of given names, commonest first (weights fall off as 1/(rank + 8)).
GIVEN = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍建文辉力鹏斌宇浩凯健俊帆帅旭宁龙林峰波春海东红国云"
         "飞亮成新志永兵金福生忠德庆荣山松祥宏光晨鑫欣雪梅琳燕玲婷慧丹佳倩颖晶博彬刚毅坤昊然子轩涵睿嘉琪振家"
         "瑞泽宏达安乐晓小长远清正泉水田土石磊森宝贵民友义仁礼智信和顺喜财发全立红卫学武军江河湖保卫胜利")
REGIONS = ("310104", "310115", "320102", "320506", "330106", "340104", "360102", "370102", "410105", "411302",
           "420106", "430104", "440106", "450102", "500103", "510104", "511302", "522601", "530102", "610113")
TRADES = ("010", "020", "030", "040", "050", "130", "190", "230", "240", "270")
MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
                   "156", "158", "159", "166", "177", "180", "181", "186", "187", "188", "189", "199")
_SURNAMES, _SURNAME_CUMULATIVE = list(SURNAMES), list(accumulate(SURNAMES.values()))
_GIVEN = list(dict.fromkeys(GIVEN))
_GIVEN_CUMULATIVE = list(accumulate(1 / (rank + 8) for rank in range(len(_GIVEN))))  # the commonest ~4%
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ADDRESS, AUTHORITY = "上海市徐汇区漕溪北路1号", "上海市公安局徐汇分局"  # COPY text: no tab, newline or backslash
ID_SPACE, DAYS = len(REGIONS) * 14_600 * 1000, 14_600  # regions x birth days (1966-2005) x sequence numbers
ID_STRIDE, PHONE_STRIDE = 104_729, 7_919_213  # coprime with their spaces: i -> a distinct number


@dataclass(frozen=True)
class Sample:
    name: str
    id_number: str
    phone: str
    employer_id: str


@dataclass(frozen=True)
class Organisation:
    employers: list[str]
    teams: dict[str, list[str]]  # employer -> its teams


def id_number(i: int) -> str:
    k = (i * ID_STRIDE) % ID_SPACE
    region, day, sequence = REGIONS[k // (DAYS * 1000)], (k // 1000) % DAYS, k % 1000
    body = f"{region}{date(1966, 1, 1) + timedelta(days=day):%Y%m%d}{sequence:03d}"
    total = sum(map(mul, map(int, body), ID_WEIGHTS))
    return body + "10X98765432"[total % 11]


def phone(i: int) -> str:
    return MOBILE_PREFIXES[i % len(MOBILE_PREFIXES)] + f"{(i * PHONE_STRIDE) % 100_000_000:08d}"


def name(rng: random.Random) -> str:
    surname = rng.choices(_SURNAMES, cum_weights=_SURNAME_CUMULATIVE)[0]
    given = rng.choices(_GIVEN, cum_weights=_GIVEN_CUMULATIVE, k=1 if rng.random() < 0.3 else 2)
    return surname + "".join(given)


WORKER_COLUMNS = ("seq, id, name, sex, ethnicity, birth_date, address, issuing_authority, card_valid_from, "
                  "card_valid_to, id_number_enc, id_number_bidx, id_tail_bidx, phone_enc, phone_bidx, "
                  "phone_tail_bidx, identity_status, category, created_at, updated_at, version")
EMPLOYMENT_COLUMNS = ("seq, id, worker_id, worker_seq, employer_id, status, worker_type, contract_number, "
                      "contract_start, contract_end, wage_type, daily_wage, bank_code, wage_card_number_enc, "
                      "wage_card_number_bidx, wage_card_flagged, trade_code, team_id, registered_by, started_at")


def make_chunk(keyring: Keyring, organisation: Organisation, first: int, count: int,
               sample_rate: float) -> tuple[str, str, str, list[Sample]]:
    """COPY text of workers ``first+1 .. first+count``, their employments and name pieces; some samples."""
    rng = random.Random(first)
    now = datetime.now(UTC).isoformat()
    workers: list[str] = []
    employments: list[str] = []
    grams: list[str] = []
    samples: list[Sample] = []
    for seq in range(first + 1, first + count + 1):
        person, number, mobile, worker_id = name(rng), id_number(seq), phone(seq), str(uuid.UUID(int=seq))
        employer = organisation.employers[rng.randrange(EMPLOYERS)]
        sex = "male" if int(number[16]) % 2 else "female"
        birth = f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
        id_sealed, phone_sealed = ID_NUMBER.seal(keyring, number), PHONE.seal(keyring, mobile)
        id_tail, phone_tail = tail_index(keyring, ID_TAIL_FIELD, number), tail_index(keyring, PHONE_TAIL_FIELD, mobile)
        workers.append(
            f"{seq}\t{worker_id}\t{person}\t{sex}\t01\t{birth}\t{ADDRESS}\t{AUTHORITY}\t2020-01-01\t2040-01-01\t"
            f"{id_sealed['id_number_enc']}\t{id_sealed['id_number_bidx']}\t{id_tail}\t{phone_sealed['phone_enc']}\t"
            f"{phone_sealed['phone_bidx']}\t{phone_tail}\tverified\tconstruction\t{now}\t{now}\t1\n")
        card = WAGE_CARD.seal(keyring, f"62220200{seq:011d}")
        employments.append(
            f"{seq}\t{uuid.UUID(int=seq, version=4)}\t{worker_id}\t{seq}\t{employer}\tactive\tlong_term\t"
            f"HT{seq:08d}\t2026-01-01\t2027-12-31\tdaily\t350.00\t102\t{card['wage_card_number_enc']}\t"
            f"{card['wage_card_number_bidx']}\tf\t{rng.choice(TRADES)}\t{rng.choice(organisation.teams[employer])}\t"
            f"bench\t{now}\n")
        grams.extend(f"{gram}\t{seq}\n" for gram in name_grams(person))
        if rng.random() < sample_rate:
            samples.append(Sample(person, number, mobile, employer))
    return "".join(workers), "".join(employments), "".join(grams), samples


def organise(db: Database) -> Organisation:
    rng = random.Random(7)
    projects = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(PROJECTS)]
    employers = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(EMPLOYERS)]
    teams: dict[str, list[str]] = {e: [] for e in employers}
    team_rows = []
    for employer in employers:
        for n in range(TEAMS_PER_EMPLOYER):
            team = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            teams[employer].append(team)
            team_rows.append({"id": team, "employer_id": employer, "project_id": rng.choice(projects),
                              "name": f"班组{n + 1}"})
    with db.transaction() as session:
        session.execute(insert(Project), [{"id": p, "name": f"项目{i}", "registration_number": f"PRJ{i:05d}",
                                           "general_contractor_id": employers[0],
                                           "planned_completion": date(2028, 6, 30)} for i, p in enumerate(projects)])
        session.execute(insert(Team), team_rows)
    return Organisation(employers, teams)


def load(db: Database, keyring_keys: tuple[bytes, bytes], workers: int,
         samples_wanted: int) -> tuple[list[Sample], dict[str, float]]:
    """Everything through COPY, generated on every core: the samples queries are drawn from, seconds by phase.

    As a bulk import into empty tables does, secondary indexes and foreign keys are dropped for the COPY and
    made again after it (the same definitions, read back from the catalogue).
    """
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    organisation = organise(db)
    raw = db.engine.raw_connection()
    try:
        cursor = raw.driver_connection.cursor()  # type: ignore[union-attr]
        indexes, foreign_keys = _catalogue(cursor, "SECONDARY_INDEXES"), _catalogue(cursor, "FOREIGN_KEYS")
        for table, name, _ in foreign_keys:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for _, name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        samples = _copy(cursor, organisation, keyring_keys, workers, min(1.0, samples_wanted / workers))
        seconds["copy"] = time.perf_counter() - start
        cursor.execute("SET maintenance_work_mem = '512MB'")
        for _, _, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in foreign_keys:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for table in ("workers", "employments"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'seq'), {workers})")
        raw.commit()
        seconds["indexes_and_keys"] = time.perf_counter() - start - seconds["copy"]
        raw.driver_connection.autocommit = True  # type: ignore[union-attr]
        cursor.execute("VACUUM ANALYZE")
        seconds["vacuum_analyze"] = time.perf_counter() - start - seconds["copy"] - seconds["indexes_and_keys"]
    finally:
        raw.close()
    return samples, {phase: round(value, 1) for phase, value in seconds.items()}


LOADED = "('workers', 'employments', 'worker_name_grams')"
CATALOGUE = {
    # Indexes that back no constraint (primary keys and unique constraints stay).
    "SECONDARY_INDEXES": "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
                         f"AND tablename IN {LOADED} AND indexname NOT IN (SELECT conname FROM pg_constraint)",
    "FOREIGN_KEYS": "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    f"WHERE contype = 'f' AND conrelid::regclass::text IN {LOADED}",
}


def _catalogue(cursor: Any, what: str) -> list[tuple[str, str, str]]:
    cursor.execute(CATALOGUE[what])
    return [(str(table), str(name), str(definition)) for table, name, definition in cursor.fetchall()]


def _copy(cursor: Any, organisation: Organisation, keyring_keys: tuple[bytes, bytes], workers: int,
          sample_rate: float) -> list[Sample]:
    samples: list[Sample] = []
    pending: deque[Future[tuple[str, str, str, list[Sample]]]] = deque()
    starts = iter(range(0, workers, CHUNK))
    with ProcessPoolExecutor(initializer=_init_worker, initargs=keyring_keys) as pool:
        while True:
            while len(pending) < 2 * (os.cpu_count() or 1) and (first := next(starts, None)) is not None:
                pending.append(pool.submit(_chunk, (organisation, first, min(CHUNK, workers - first), sample_rate)))
            if not pending:
                return samples
            worker_text, employment_text, gram_text, chunk_samples = pending.popleft().result()
            for table, columns, data in (("workers", WORKER_COLUMNS, worker_text),
                                         ("employments", EMPLOYMENT_COLUMNS, employment_text),
                                         ("worker_name_grams", "gram, worker_seq", gram_text)):
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    copy.write(data)
            samples.extend(chunk_samples)


_KEYRING: Keyring | None = None


def _init_worker(data_key: bytes, blind_index_key: bytes) -> None:
    global _KEYRING  # noqa: PLW0603  (one keyring per pool process, built once)
    _KEYRING = Keyring("bench", {"bench": data_key}, blind_index_key)


def _chunk(args: tuple[Organisation, int, int, float]) -> tuple[str, str, str, list[Sample]]:
    assert _KEYRING is not None
    return make_chunk(_KEYRING, *args)


Query = tuple[WorkerFilters, str | None]  # filters, employer (None: a regulator)
KINDS: dict[str, Callable[[Sample, random.Random], WorkerFilters]] = {
    "name_3_characters": lambda s, r: WorkerFilters(name=s.name if len(s.name) >= 3 else s.name + "明"),
    "name_2_characters": lambda s, r: WorkerFilters(name=s.name[:2]),
    "surname_1_character": lambda s, r: WorkerFilters(name=s.name[0]),
    "id_number_last_4": lambda s, r: WorkerFilters(id_number=s.id_number[-4:]),
    "phone_full": lambda s, r: WorkerFilters(phone=s.phone),
}


def queries(samples: list[Sample], per_kind: int, rng: random.Random) -> Iterator[tuple[str, Query, bool]]:
    """(kind, query, next_page?) for every kind as a regulator and as the sampled worker's employer."""
    for kind, make in KINDS.items():
        for who in ("regulator", "employer"):
            for _ in range(per_kind):
                sample = rng.choice(samples)
                query = (make(sample, rng), None if who == "regulator" else sample.employer_id)
                yield f"{kind}/{who}", query, False
    for _ in range(per_kind):  # an employer's whole list, and the second page of a common surname
        sample = rng.choice(samples)
        yield "list_all/employer", (WorkerFilters(), sample.employer_id), False
        yield "surname_1_character_page_2/regulator", (WorkerFilters(name=sample.name[0]), None), True


def measure(db: Database, keyring: Keyring, samples: list[Sample], per_kind: int) -> dict[str, Any]:
    rng = random.Random(11)
    planned = list(queries(samples, per_kind, rng))
    rng.shuffle(planned)  # kinds interleaved, as they come in service
    timings: dict[str, list[float]] = {}
    found: dict[str, int] = {}
    for kind, (filters, employer), next_page in planned:
        cursor = None
        if next_page:
            with db.sessions() as session:
                cursor = search_workers(session, keyring, filters, employer_id=employer, limit=PAGE, cursor=None)[1]
        start = time.perf_counter()
        with db.sessions() as session:
            rows, _ = search_workers(session, keyring, filters, employer_id=employer, limit=PAGE, cursor=cursor)
        timings.setdefault(kind, []).append((time.perf_counter() - start) * 1000)
        found[kind] = found.get(kind, 0) + len(rows)
    kinds = {kind: {**_percentiles(values), "queries": len(values), "mean_rows": round(found[kind] / len(values), 1)}
             for kind, values in sorted(timings.items())}
    every = [t for values in timings.values() for t in values]
    return {"kinds": kinds, "overall": _percentiles(every)}


def explain(db: Database, keyring: Keyring, samples: list[Sample]) -> dict[str, list[str]]:
    """The plan of one query of each kind (EXPLAIN ANALYZE), to see which indexes are used."""
    plans = {}
    for kind, (filters, employer), _ in queries(samples[:1], 1, random.Random(1)):
        with db.sessions() as session:
            query = search_query(session, keyring, filters, employer_id=employer, limit=PAGE, cursor=None)
            compiled = query.compile(session.get_bind(), compile_kwargs={"render_postcompile": True})
            plan = session.connection().exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {compiled.string}",
                                                        compiled.params)
            plans[kind] = [line for (line,) in plan]
    return plans


def _percentiles(values: list[float]) -> dict[str, float]:
    q = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50_ms": round(q[49], 2), "p95_ms": round(q[94], 2), "p99_ms": round(q[98], 2)}


def run(workers: int, per_kind: int, keep: bool, show_plans: bool) -> dict[str, Any]:
    url = with_database(POSTGRES, f"rn_bench{uuid.uuid4().hex[:8]}_registry")
    keys = (os.urandom(32), os.urandom(32))
    keyring = Keyring("bench", {"bench": keys[0]}, keys[1])
    upgrade(load_spec("registry"), url)
    db = Database(url)
    try:
        start = time.perf_counter()
        samples, phases = load(db, keys, workers, samples_wanted=max(2000, 4 * per_kind))
        load_seconds = time.perf_counter() - start
        measured = measure(db, keyring, samples, per_kind)
        plans = explain(db, keyring, samples) if show_plans else None
        with db.engine.connect() as conn:
            counts = {table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                      for table in ("workers", "employments", "worker_name_grams")}
    finally:
        db.dispose()
        if not keep:
            drop_database(url)
    slowest = max(kind["p95_ms"] for kind in measured["kinds"].values())
    result = {
        "benchmark": "registry_search", "cores": os.cpu_count(), "workers": workers, "employers": EMPLOYERS,
        "database": url.rsplit("/", 1)[1] if keep else None, "load_seconds": round(load_seconds, 1),
        "load_phases_seconds": phases,
        "workers_per_s_loaded": round(workers / load_seconds), "rows": counts, "page_size": PAGE,
        "queries_per_kind": per_kind, "latency": measured["kinds"], "overall_p95_ms": measured["overall"]["p95_ms"],
        "slowest_kind_p95_ms": slowest, "target_p95_ms": TARGET_P95_MS, "meets_target": slowest < TARGET_P95_MS,
        "peak_rss_mb": {"benchmark": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
                        "loaders": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024},
    }
    if plans is not None:
        result["plans"] = plans
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=500, help="queries of each kind, as each caller")
    parser.add_argument("--keep", action="store_true", help="keep the database (its name is printed)")
    parser.add_argument("--explain", action="store_true", help="add EXPLAIN ANALYZE of one query of each kind")
    args = parser.parse_args()
    configure_logging("WARNING")
    print(json.dumps(run(args.workers, args.queries, args.keep, args.explain), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()

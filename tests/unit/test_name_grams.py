"""Name pieces and number tails for worker search (R14, R4): what registration writes and search reads."""

from __future__ import annotations

import secrets
from typing import Any, cast

import pytest
from sqlalchemy.orm import Session

from realname_kit.privacy import Keyring
from realname_kit.problems import Problem
from realname_registry.models import ID_TAIL_FIELD, PHONE_TAIL_FIELD
from realname_registry.search import index_names, name_grams, tail_index
from realname_registry.search_names import name_matches, uses_trigrams

KEYRING = Keyring("k1", {"k1": secrets.token_bytes(32)}, secrets.token_bytes(32))


class RecordingSession:
    """Keeps what was executed, and with which parameters."""

    def __init__(self) -> None:
        self.executed: list[tuple[Any, Any]] = []

    def execute(self, statement: Any, parameters: Any = None) -> None:
        self.executed.append((statement, parameters))


def test_a_name_gives_every_one_and_two_character_piece() -> None:
    assert name_grams("张伟明") == {"张", "伟", "明", "张伟", "伟明"}
    assert name_grams("李四") == {"李", "四", "李四"}
    assert name_grams("王") == {"王"}


def test_whitespace_and_middle_dots_are_left_out_and_full_width_forms_made_plain() -> None:
    assert name_grams("阿卜·买") == name_grams("阿卜 买") == name_grams("阿卜・买") == {
        "阿", "卜", "买", "阿卜", "卜买"}
    assert name_grams("ＡＢ") == {"a", "b", "ab"}


def test_a_repeated_character_gives_its_pieces_once() -> None:
    assert name_grams("买买提") == {"买", "提", "买买", "买提"}


def test_the_names_of_many_workers_are_indexed_in_one_statement() -> None:
    session = RecordingSession()
    pieces = index_names(cast("Session", session), [(1, "张伟"), (2, "李四"), (3, "王")])
    assert pieces == 7
    [(_, rows)] = session.executed
    assert sorted((r["worker_seq"], r["gram"]) for r in rows) == [
        (1, "伟"), (1, "张"), (1, "张伟"), (2, "四"), (2, "李"), (2, "李四"), (3, "王")]


def test_no_names_execute_nothing() -> None:
    session = RecordingSession()
    assert index_names(cast("Session", session), []) == 0
    assert session.executed == []


def test_one_or_two_characters_go_to_the_pieces_three_or_more_to_the_trigrams() -> None:
    assert not uses_trigrams("张") and not uses_trigrams("张伟") and not uses_trigrams("拉·买")
    assert uses_trigrams("张伟明") and uses_trigrams("买买提")


def test_a_name_query_with_nothing_of_a_name_is_refused() -> None:
    for query in ("", " ", "%%", "·", "*?_"):
        with pytest.raises(Problem) as caught:
            name_matches(query, "sqlite")
        assert (caught.value.status, caught.value.reason) == (422, "name_query")


def test_the_tail_of_a_whole_number_is_the_tail_its_last_four_characters_give() -> None:
    assert tail_index(KEYRING, ID_TAIL_FIELD, "31010419900101123X") == tail_index(KEYRING, ID_TAIL_FIELD, "123x")
    full_width = "３１０１０４１９９００１０１１２３Ｘ"
    assert tail_index(KEYRING, ID_TAIL_FIELD, full_width) == tail_index(KEYRING, ID_TAIL_FIELD, "123X")
    assert tail_index(KEYRING, PHONE_TAIL_FIELD, "+86 138-1234-5678") == tail_index(KEYRING, PHONE_TAIL_FIELD, "5678")


def test_an_id_tail_and_a_phone_tail_of_the_same_digits_differ() -> None:
    assert tail_index(KEYRING, ID_TAIL_FIELD, "1234") != tail_index(KEYRING, PHONE_TAIL_FIELD, "1234")


def test_a_tail_needs_a_tail_field_and_four_characters() -> None:
    with pytest.raises(ValueError, match="not a tail index field"):
        tail_index(KEYRING, "registry.workers.name", "1234")
    with pytest.raises(ValueError, match="no last 4"):
        tail_index(KEYRING, PHONE_TAIL_FIELD, "123")

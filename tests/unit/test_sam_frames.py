"""The SAM frame protocol: frames survive a round trip, damage is always caught, status words map to R2's reasons."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from realname_edge.errors import CardUnreadable, FrameCorrupt, NoCard, UnsupportedModel
from realname_edge.sam.frames import (
    PREAMBLE,
    FrameReader,
    NoFrame,
    decode_request,
    decode_response,
    encode_request,
    encode_response,
)
from realname_edge.sam.status import check_status, failure

OK = b"\x00\x00\x90"
payloads = st.binary(max_size=2100)


class FakeStream:
    """Delivers its bytes in chunks of at most ``chunk``; once empty it is silent and time passes a tick per read."""

    def __init__(self, data: bytes, chunk: int = 4096) -> None:
        self.data, self.chunk, self.now = bytearray(data), chunk, 0.0

    def read(self, size: int) -> bytes:
        if not self.data:
            self.now += 0.1
            return b""
        out = bytes(self.data[:min(size, self.chunk)])
        del self.data[:len(out)]
        return out

    def clock(self) -> float:
        return self.now


def test_a_find_card_request_is_the_well_known_byte_string() -> None:
    assert encode_request(0x20, 0x01) == bytes.fromhex("AAAAAA9669 0003 2001 22")


@given(st.integers(0, 255), st.integers(0, 255), payloads)
def test_a_request_survives_the_round_trip(command: int, parameter: int, data: bytes) -> None:
    request = decode_request(encode_request(command, parameter, data))
    assert (request.command, request.parameter, request.data) == (command, parameter, data)


@given(st.binary(min_size=3, max_size=3), payloads)
def test_a_response_survives_the_round_trip(sw: bytes, data: bytes) -> None:
    response = decode_response(encode_response(sw, data))
    assert (response.sw, response.data) == (sw, data)


@given(payloads, st.data())
def test_any_single_byte_change_of_a_response_is_detected(data: bytes, draw: st.DataObject) -> None:
    frame = bytearray(encode_response(OK, data))
    position = draw.draw(st.integers(0, len(frame) - 1))
    frame[position] = draw.draw(st.integers(0, 255).filter(lambda b: b != frame[position]))
    with pytest.raises(FrameCorrupt):
        decode_response(bytes(frame))


@given(payloads, st.integers(min_value=1))
def test_a_response_cut_short_is_detected(data: bytes, cut: int) -> None:
    frame = encode_response(OK, data)
    with pytest.raises(FrameCorrupt):
        decode_response(frame[:-min(cut, len(frame))])


def test_a_frame_without_status_bytes_is_corrupt() -> None:
    with pytest.raises(FrameCorrupt, match="status"):
        decode_response(encode_request(0x90, 0x00))


@given(st.binary(max_size=300).filter(lambda garbage: PREAMBLE not in garbage), payloads, st.integers(1, 50))
def test_the_frame_reader_skips_leading_garbage_and_takes_exactly_one_frame(garbage: bytes, data: bytes,
                                                                           chunk: int) -> None:
    first, second = encode_response(OK, data), encode_response(b"\x00\x00\x9f", b"next")
    stream = FakeStream(garbage + first + second, chunk)
    frames = FrameReader(stream, stream.clock)
    assert frames.read_frame(timeout=1) == first
    assert frames.read_frame(timeout=1) == second


def test_silence_is_no_frame_with_nothing_received() -> None:
    stream = FakeStream(b"")
    with pytest.raises(NoFrame) as caught:
        FrameReader(stream, stream.clock).read_frame(timeout=0.5)
    assert caught.value.received == 0


def test_garbage_until_the_timeout_is_no_frame_counting_what_came() -> None:
    stream = FakeStream(b"\r\nOK\r\nAT+GMR\r\n\xaa\xaa")
    with pytest.raises(NoFrame) as caught:
        FrameReader(stream, stream.clock).read_frame(timeout=0.5)
    assert caught.value.received == 16


def test_an_endless_stream_of_garbage_is_given_up_on_before_the_timeout() -> None:
    stream = FakeStream(b"\x55" * 10_000)
    with pytest.raises(NoFrame):
        FrameReader(stream, stream.clock).read_frame(timeout=3600)
    assert stream.now == 0.0


def test_a_frame_that_stops_arriving_is_corrupt_and_the_next_one_is_still_read() -> None:
    frame = encode_response(OK, b"x" * 20)
    stream = FakeStream(frame[:-5])
    frames = FrameReader(stream, stream.clock)
    with pytest.raises(FrameCorrupt, match="5 bytes missing"):
        frames.read_frame(timeout=0.5)
    stream.data += frame
    assert frames.read_frame(timeout=0.5) == frame


def test_an_implausible_length_is_corrupt_at_once() -> None:
    stream = FakeStream(PREAMBLE + b"\xff\xff" + b"\x00" * 10)
    with pytest.raises(FrameCorrupt, match="implausible"):
        FrameReader(stream, stream.clock).read_frame(timeout=3600)


@pytest.mark.parametrize("sw", ["000090", "00009f", "000091"])
def test_success_statuses_raise_nothing(sw: str) -> None:
    check_status(bytes.fromhex(sw))


@pytest.mark.parametrize(("sw", "reason"), [
    ("000080", NoCard), ("000081", CardUnreadable), ("000041", CardUnreadable), ("000010", FrameCorrupt),
    ("000011", FrameCorrupt), ("000021", UnsupportedModel), ("000023", UnsupportedModel),
    ("000024", UnsupportedModel), ("000066", UnsupportedModel), ("0000ee", UnsupportedModel),
    ("010090", UnsupportedModel),
])
def test_failure_statuses_map_to_the_reasons_r2_names(sw: str, reason: type[Exception]) -> None:
    error = failure(bytes.fromhex(sw))
    assert type(error) is reason
    assert sw[-2:].upper() in str(error)

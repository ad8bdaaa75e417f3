"""Loopback tests of the fault-injecting TCP proxy used by the reliability tests."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.faultproxy import FaultProxy

TIMEOUT = 5.0


class EchoServer:
    """Threaded TCP echo server on loopback: every byte received is sent back on the same connection."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.listener.settimeout(0.2)
        self.port: int = self.listener.getsockname()[1]
        self.stopping = threading.Event()
        self.conns: list[socket.socket] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            conn.settimeout(TIMEOUT)
            self.conns.append(conn)
            threading.Thread(target=self._echo, args=(conn,), daemon=True).start()

    @staticmethod
    def _echo(conn: socket.socket) -> None:
        with conn:
            try:
                while data := conn.recv(65536):
                    conn.sendall(data)
            except OSError:
                pass

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(TIMEOUT)
        self.listener.close()
        for conn in self.conns:
            conn.close()


@pytest.fixture
def echo() -> Iterator[EchoServer]:
    server = EchoServer()
    yield server
    server.close()


@pytest.fixture
def proxy(echo: EchoServer) -> Iterator[FaultProxy]:
    with FaultProxy("127.0.0.1", echo.port) as fault_proxy:
        yield fault_proxy


def connect(proxy: FaultProxy) -> socket.socket:
    return socket.create_connection(("127.0.0.1", proxy.port), timeout=TIMEOUT)


def recv_exactly(sock: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        data = sock.recv(size - len(chunks))
        if not data:
            raise ConnectionError(f"EOF after {len(chunks)} of {size} bytes")
        chunks += data
    return bytes(chunks)


def wait_until(condition: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


def assert_reset(sock: socket.socket) -> None:
    """The peer reset the connection: a read fails with ECONNRESET (never a clean EOF, never a hang)."""
    with pytest.raises((ConnectionResetError, BrokenPipeError)):
        sock.sendall(b"ping")  # may still succeed: the RST can arrive before or after
        sock.recv(16)


def test_bytes_pass_through_both_ways(proxy: FaultProxy) -> None:
    with connect(proxy) as client:
        client.sendall(b"hello")
        assert recv_exactly(client, 5) == b"hello"

        payload = os.urandom(1024 * 1024)  # bigger than any socket buffer: exercises back-pressure
        sender = threading.Thread(target=client.sendall, args=(payload,), daemon=True)
        sender.start()
        assert recv_exactly(client, len(payload)) == payload
        sender.join(TIMEOUT)
        assert proxy.connection_count == 1
    wait_until(lambda: proxy.connection_count == 0)  # the client's EOF closed the pair
    assert proxy.bytes_upstream == proxy.bytes_downstream == 5 + len(payload)


def test_dropping_connections_resets_clients_and_new_connections_still_work(proxy: FaultProxy) -> None:
    clients = [connect(proxy) for _ in range(3)]
    try:
        for client in clients:
            client.sendall(b"before")
            assert recv_exactly(client, 6) == b"before"
        assert proxy.connection_count == 3

        assert proxy.drop_connections() == 3
        assert proxy.connection_count == 0
        for client in clients:
            assert_reset(client)
    finally:
        for client in clients:
            client.close()

    with connect(proxy) as client:
        client.sendall(b"after")
        assert recv_exactly(client, 5) == b"after"
    assert proxy.drop_connections() in (0, 1)  # the closed one may or may not have been reaped yet


def test_held_downstream_bytes_arrive_in_order_after_release(proxy: FaultProxy) -> None:
    with connect(proxy) as client:
        client.sendall(b"warm-up")
        assert recv_exactly(client, 7) == b"warm-up"

        proxy.hold_downstream(True)
        parts = [b"one,", b"two,", b"three,", os.urandom(200_000), b"four"]
        for part in parts:
            client.sendall(part)
        expected = b"".join(parts)
        wait_until(lambda: proxy.bytes_downstream == 7 + len(expected))  # echoed back, now held
        client.settimeout(0.3)
        with pytest.raises(TimeoutError):
            client.recv(1)

        with connect(proxy) as other:  # holding one direction does not stall the proxy
            wait_until(lambda: proxy.connection_count == 2)
            other.sendall(b"x")
            wait_until(lambda: proxy.bytes_upstream == 7 + len(expected) + 1)

        client.settimeout(TIMEOUT)
        proxy.hold_downstream(False)
        assert recv_exactly(client, len(expected)) == expected


def test_refusing_resets_new_connections_until_turned_off(proxy: FaultProxy) -> None:
    with connect(proxy) as established:
        established.sendall(b"old")
        assert recv_exactly(established, 3) == b"old"

        proxy.refuse(True)
        for _ in range(3):
            # the RST can beat the client out of connect() on loopback, so it may surface right there
            with pytest.raises((ConnectionResetError, BrokenPipeError)), connect(proxy) as refused:
                refused.sendall(b"ping")
                refused.recv(16)
        assert proxy.connection_count == 1

        established.sendall(b"still")  # refusing affects new connections only
        assert recv_exactly(established, 5) == b"still"

        proxy.refuse(False)
        with connect(proxy) as client:
            client.sendall(b"welcome")
            assert recv_exactly(client, 7) == b"welcome"


def test_fifty_parallel_connections_each_echo_their_own_data(proxy: FaultProxy) -> None:
    count = 50
    all_connected = threading.Barrier(count + 1, timeout=TIMEOUT)
    all_counted = threading.Barrier(count + 1, timeout=TIMEOUT)

    def session(index: int) -> bool:
        payload = os.urandom(64 * 1024)
        with connect(proxy) as client:
            all_connected.wait()
            all_counted.wait()  # every connection is live in the proxy at the same time
            client.sendall(index.to_bytes(4, "big"))
            assert recv_exactly(client, 4) == index.to_bytes(4, "big")
            for offset in range(0, len(payload), 8192):
                chunk = payload[offset : offset + 8192]
                client.sendall(chunk)
                assert recv_exactly(client, len(chunk)) == chunk
        return True

    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(session, index) for index in range(count)]
        all_connected.wait()
        wait_until(lambda: proxy.connection_count == count)
        all_counted.wait()
        assert all(future.result(timeout=TIMEOUT * 4) for future in futures)
    wait_until(lambda: proxy.connection_count == 0)

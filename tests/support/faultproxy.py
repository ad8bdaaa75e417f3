"""TCP proxy that injects network faults (resets, refusals, stalls) for reliability tests.

One I/O thread multiplexes every connection with selectors; control calls run on that thread (woken
through a socket pair), so they are synchronous and never race with the I/O.
"""

from __future__ import annotations

import contextlib
import errno
import selectors
import socket
import struct
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

_T = TypeVar("_T")
_CHUNK = 65536
_MAX_BUFFER = 4 * 1024 * 1024  # per direction; beyond it the source is not read (TCP back-pressure)
_R, _W = selectors.EVENT_READ, selectors.EVENT_WRITE
_CLIENT, _UPSTREAM = 0, 1  # side indices; _Pair.out[side] holds the bytes waiting to be sent to that side
_IN_PROGRESS = {0, errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EAGAIN}


def _abort(sock: socket.socket) -> None:
    """Close with SO_LINGER 0 so the peer gets an RST instead of a FIN."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class _Pair:
    def __init__(self, client: socket.socket, upstream: socket.socket) -> None:
        self.socks = (client, upstream)
        self.out = (bytearray(), bytearray())
        self.eof = [False, False]
        self.events = [0, 0]
        self.connecting, self.closed = True, False


class FaultProxy:
    def __init__(
        self, target_host: str, target_port: int, listen_host: str = "127.0.0.1", listen_port: int = 0
    ) -> None:
        self.target = (target_host, target_port)
        self.listen = (listen_host, listen_port)
        self.port = 0
        self.bytes_upstream = self.bytes_downstream = 0
        self._refuse = False
        self._held = [False, False]  # by destination side: [downstream, upstream]
        self._pairs: set[_Pair] = set()
        self._lock = threading.Lock()
        self._commands: list[tuple[Callable[[], Any], Future[Any]]] = []
        self._running = self._stopping = False
        self._thread: threading.Thread | None = None
        self._sel = selectors.DefaultSelector()
        self._listener: socket.socket | None = None
        self._wake_r, self._wake_w = socket.socketpair()

    def start(self) -> FaultProxy:
        if self._thread is not None:
            return self
        family, _, _, _, addr = socket.getaddrinfo(*self.target, type=socket.SOCK_STREAM)[0]
        self._family, self._addr = family, addr
        listener = socket.create_server(self.listen, backlog=256)
        listener.setblocking(False)
        self._listener, self.port = listener, listener.getsockname()[1]
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._sel.register(listener, _R)
        self._sel.register(self._wake_r, _R)
        self._running = True
        self._thread = threading.Thread(target=self._loop, name=f"faultproxy:{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        thread = self._thread
        if self._stopping:
            return
        self._stopping = True
        if thread is None:
            self._sel.close()
        else:
            self._wake()
            thread.join(timeout=10)
        for sock in (self._wake_r, self._wake_w):
            sock.close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def drop_connections(self) -> int:
        return self._call(self._drop_all)

    def refuse(self, on: bool) -> None:
        self._call(lambda: setattr(self, "_refuse", on))

    def hold_downstream(self, on: bool) -> None:
        self._call(lambda: self._set_hold(_CLIENT, on))

    def hold_upstream(self, on: bool) -> None:
        self._call(lambda: self._set_hold(_UPSTREAM, on))

    @property
    def connection_count(self) -> int:
        return len(self._pairs)

    def _drop_all(self) -> int:
        return sum(self._close(pair, abort=True) for pair in list(self._pairs))

    def _set_hold(self, side: int, on: bool) -> None:
        self._held[side] = on
        for pair in list(self._pairs):
            self._settle(pair)

    def _wake(self) -> None:
        with contextlib.suppress(OSError):  # buffer full (a wake-up is pending anyway) or closed
            self._wake_w.send(b"\0")

    def _call(self, fn: Callable[[], _T]) -> _T:
        with self._lock:
            if not self._running or threading.current_thread() is self._thread:
                return fn()
            future: Future[_T] = Future()
            self._commands.append((fn, future))
        self._wake()
        return future.result(timeout=10)

    def _run_commands(self) -> None:
        with self._lock:
            commands, self._commands = self._commands, []
        for fn, future in commands:
            try:
                future.set_result(fn())
            except BaseException as exc:
                future.set_exception(exc)

    def _loop(self) -> None:
        try:
            while not self._stopping:
                for key, mask in self._sel.select():
                    if key.fileobj is self._listener:
                        self._accept()
                    elif key.fileobj is self._wake_r:
                        with contextlib.suppress(BlockingIOError, InterruptedError):
                            while self._wake_r.recv(4096):
                                pass
                        self._run_commands()
                    elif not key.data[0].closed:
                        self._service(key.data[0], key.data[1], mask)
        finally:
            self._drop_all()
            if self._listener is not None:
                self._listener.close()
            self._sel.close()
            with self._lock:
                self._running = False
            self._run_commands()

    def _accept(self) -> None:
        assert self._listener is not None
        for _ in range(64):
            try:
                client, _ = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            if self._refuse:
                _abort(client)
                continue
            upstream = socket.socket(self._family, socket.SOCK_STREAM)
            for sock in (client, upstream):
                sock.setblocking(False)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            pair = _Pair(client, upstream)
            self._pairs.add(pair)
            if upstream.connect_ex(self._addr) not in _IN_PROGRESS:
                self._close(pair, abort=True)
            else:
                self._settle(pair)

    def _service(self, pair: _Pair, side: int, mask: int) -> None:
        sock = pair.socks[side]
        try:
            if side == _UPSTREAM and pair.connecting:
                if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                    raise ConnectionRefusedError
                pair.connecting, mask = False, 0
            if mask & _R:
                data = sock.recv(_CHUNK)
                pair.eof[side] |= not data
                pair.out[1 - side].extend(data)
                if side == _CLIENT:
                    self.bytes_upstream += len(data)
                else:
                    self.bytes_downstream += len(data)
            if mask & _W and pair.out[side] and not self._held[side]:
                del pair.out[side][: sock.send(pair.out[side])]
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:  # reset, refused, broken pipe: the whole pair goes down hard
            self._close(pair, abort=True)
            return
        self._settle(pair)

    def _settle(self, pair: _Pair) -> None:
        """Close the pair once an EOF has been flushed to the other side, else update selector interests."""
        if pair.closed:
            return
        if not pair.connecting and any(pair.eof[i] and not pair.out[1 - i] for i in (0, 1)):
            self._close(pair, abort=False)
            return
        for side, sock in enumerate(pair.socks):
            readable = not pair.eof[side] and len(pair.out[1 - side]) < _MAX_BUFFER
            events = (_R if readable else 0) | (_W if pair.out[side] and not self._held[side] else 0)
            events = _W if side == _UPSTREAM and pair.connecting else events
            old, pair.events[side] = pair.events[side], events
            if old and not events:
                self._sel.unregister(sock)
            elif events and not old:
                self._sel.register(sock, events, (pair, side))
            elif events != old:
                self._sel.modify(sock, events, (pair, side))

    def _close(self, pair: _Pair, abort: bool) -> int:
        if pair.closed:
            return 0
        pair.closed = True
        self._pairs.discard(pair)
        for side, sock in enumerate(pair.socks):
            if pair.events[side]:
                self._sel.unregister(sock)
            if abort:
                _abort(sock)
            else:
                sock.close()
        return 1

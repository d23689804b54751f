"""A real HTTP receiver on loopback for the webhook tests, and the endpoint it listens at."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from linking.webhooks.services import webhook_endpoint_create

LOOPBACK = ["127.0.0.0/8", "::1/128"]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Records every POST; answers from `plan` (status, seconds to wait first, extra headers)
    in order, then 200."""

    port: int = 0
    received: list[Received] = field(default_factory=list)
    plan: deque = field(default_factory=deque)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/portal"

    def answer(self, *answers: tuple) -> None:
        self.plan.extend(answers)


def _handler(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with receiver.lock:
                receiver.received.append(Received(self.path, dict(self.headers.items()), body))
                answer = receiver.plan.popleft() if receiver.plan else (200,)
            status, wait, headers = (*answer, 0, {})[:3] if len(answer) == 1 else (*answer, {})[:3]
            if wait:
                time.sleep(wait)
            reply = b'{"received":true}' if status < 300 else b"receiver says no"
            try:
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the portal gave up waiting (a timeout test)

        def log_message(self, *args):  # the tests print nothing
            pass

    return Handler


@pytest.fixture
def receiver(settings):
    """The loopback receiver; the portal is allowed loopback for the length of the test."""
    settings.PORTAL_WEBHOOK_ALLOWED_NETWORKS = LOOPBACK
    state = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.port = server.server_address[1]
    # A short poll, so shutting the receiver down at the end of a test takes no half second.
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def register(cast, receiver, events=None, **kwargs):
    """An endpoint of the cast's reseller at the receiver: (endpoint, secret)."""
    from linking.webhooks.events import EVENT_TYPES

    return webhook_endpoint_create(
        actor=cast.admin,
        reseller=cast.reseller,
        url=kwargs.pop("url", None) or receiver.url,
        events=events or list(EVENT_TYPES),
        **kwargs,
    )

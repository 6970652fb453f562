"""An OpenAI-compatible chat-completions server on loopback, for tests: the outermost edge, speaking
the real protocol over real HTTP, with answers scripted by the test (well-formed, malformed,
truncated, slow, or an HTTP error)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["Reply", "serve"]


@dataclass
class Reply:
    content: str | None = None
    """The assistant's message (a normal 200 answer)."""
    status: int = 200
    body: bytes | None = None
    """Raw bytes instead of a completion (malformed JSON)."""
    truncated: bool = False
    """Announce more bytes than are sent, then hang up (an answer cut short)."""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds before answering (a slow server; the server stops waiting when the test ends)."""
    finish: str = "stop"


Responder = Callable[[dict[str, Any]], Reply]


def completion(content: str, finish: str = "stop") -> bytes:
    return json.dumps({
        "id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": "test",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish}],
        "usage": {"prompt_tokens": 10, "completion_tokens": max(1, len(content) // 4), "total_tokens": 20},
    }).encode()


@contextmanager
def serve(responder: Responder) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A running server: (base URL ending in /v1, the requests it received: body plus headers)."""
    received: list[dict[str, Any]] = []
    stop = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
            length = int(self.headers.get("content-length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            headers = {k.lower(): v for k, v in self.headers.items()}
            received.append({"path": self.path, "body": body, "headers": headers})
            reply = responder(body)
            if reply.delay and stop.wait(reply.delay):
                return
            data = reply.body if reply.body is not None else (
                completion(reply.content or "", reply.finish) if reply.status == 200 else
                json.dumps({"error": {"message": f"scripted {reply.status}", "type": "test"}}).encode())
            try:
                self.send_response(reply.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data) + (100 if reply.truncated else 0)))
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", received
    finally:
        stop.set()
        server.shutdown()
        server.server_close()

"""The preview's HTTP server (the standard library's): its own page, the state, server-sent events,
and build outputs, read only.

Routes (GET and HEAD only; anything else is 405):

- ``/``, ``/app.js``, ``/style.css``: the page (no build step, nothing from the network);
- ``/state``: the state as JSON; ``/events``: server-sent events (a snapshot, then changes);
- ``/o/<sha256>.<ext>``: a store object the state has shown (keyframes, clips, the film, the
  soundtrack): content addressed, so cached for good by the browser;
- ``/build/<path>``: a file under the build's output directory (``final.mp4``, ``report.json``...).

Security: the server binds 127.0.0.1 unless told another host; on loopback it answers only requests
whose ``Host`` is a loopback name (a web page elsewhere cannot rebind a name to it); on any other
host every request must carry the random token printed with the URL (``?token=``, then a cookie).
Paths never leave their roots: object names are digests the state knows, build paths are resolved
(symlinks included) and must stay inside the output directory. Nothing is ever written.
"""

from __future__ import annotations

import hmac
import json
import mimetypes
import os
import queue
import re
import secrets
import threading
from http import cookies
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from .state import MEDIA, PreviewState

__all__ = ["PreviewServer"]

_STATIC = {"/": ("index.html", "text/html; charset=utf-8"), "/app.js": ("app.js", "text/javascript; charset=utf-8"),
           "/style.css": ("style.css", "text/css; charset=utf-8")}
_OBJECT = re.compile(r"^/o/([0-9a-f]{64})\.(png|mp4|m4a|wav|srt)$")
_LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
_COOKIE = "studio_preview"
_KEEPALIVE = 15.0
_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self'; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


class PreviewServer:
    """Serves ``state`` on ``host``:``port`` (0: a free port) from a thread of its own."""

    def __init__(self, state: PreviewState, store_objects: Path, out_dir: Path, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        self.state = state
        self.objects = store_objects
        self.out_dir = out_dir
        self.host = host
        self.token = None if host in _LOOPBACK else secrets.token_urlsafe(24)
        self.static = {path: (resources.files(__package__).joinpath("static", name).read_bytes(), kind)
                       for path, (name, kind) in _STATIC.items()}
        handler = type("Handler", (_Handler,), {"preview": self})
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="studio-preview", daemon=True)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host and not self.host.startswith("[") else self.host
        return f"http://{host}:{self.port}/" + (f"?token={self.token}" if self.token else "")

    def start(self) -> None:
        self.thread.start()

    def close(self) -> None:
        self.state.close()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)

    def object_path(self, digest: str) -> Path | None:
        """A store object the page may have (its digest is in the state), inside the store."""
        if self.state.media_type(digest) is None:
            return None
        path = self.objects / digest[:2] / digest
        return path if _inside(path, self.objects) else None

    def build_path(self, rel: str) -> Path | None:
        """A file under the output directory, resolved; None for anything that would leave it."""
        if "\x00" in rel or "\\" in rel:
            return None
        parts = [p for p in rel.split("/") if p]
        if not parts or any(p in (".", "..") or p.startswith(".") for p in parts):
            return None
        path = self.out_dir.joinpath(*parts)
        return path if _inside(path, self.out_dir) else None


def _inside(path: Path, root: Path) -> bool:
    try:
        real, base = path.resolve(strict=True), root.resolve(strict=True)
    except (OSError, RuntimeError):
        return False
    return real.is_file() and base in real.parents


class _Handler(BaseHTTPRequestHandler):
    preview: PreviewServer
    protocol_version = "HTTP/1.1"
    server_version = "studio-preview"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass  # quiet: the terminal belongs to the build's progress

    def version_string(self) -> str:
        return self.server_version

    # --- methods ---------------------------------------------------------------------------
    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def _refuse(self) -> None:
        self._plain(405, "read-only: only GET and HEAD", extra={"Allow": "GET, HEAD"})

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse

    # --- routing ---------------------------------------------------------------------------
    def _serve(self, head: bool) -> None:
        url = urlsplit(self.path)
        path = unquote(url.path)
        set_cookie = self._authorised(url.query)
        if set_cookie is None:
            return
        if path in self.preview.static:
            body, kind = self.preview.static[path]
            self._bytes(200, body, kind, head, set_cookie, cache="no-cache")
        elif path == "/state":
            self._bytes(200, json.dumps(self.preview.state.view()).encode(), "application/json", head, set_cookie,
                        cache="no-store")
        elif path == "/events":
            self._events(head)
        elif m := _OBJECT.match(path):
            found = self.preview.object_path(m.group(1))
            self._file(found, MEDIA[m.group(2)], head, immutable=True)
        elif path.startswith("/build/"):
            output = self.preview.build_path(path[len("/build/"):])
            guessed = mimetypes.guess_type(output.name)[0] if output else None
            self._file(output, guessed or "application/octet-stream", head, immutable=False)
        elif path == "/favicon.ico":
            self._bytes(204, b"", "image/x-icon", head)
        else:
            self._plain(404, "not found")

    def _authorised(self, query: str) -> str | None:
        """'' or a cookie to set when the request may be answered; None (after answering) otherwise."""
        preview = self.preview
        if preview.token is None:
            host = (self.headers.get("Host") or "").rsplit(":", 1)[0] if self.headers.get("Host") else ""
            if host not in _LOOPBACK:
                self._plain(403, "this preview answers only on 127.0.0.1 or localhost")
                return None
            return ""
        given = (parse_qs(query).get("token") or [""])[0]
        if given and hmac.compare_digest(given, preview.token):
            return f"{_COOKIE}={preview.token}; Path=/; HttpOnly; SameSite=Strict"
        jar = cookies.SimpleCookie(self.headers.get("Cookie") or "")
        if _COOKIE in jar and hmac.compare_digest(jar[_COOKIE].value, preview.token):
            return ""
        self._plain(403, "this preview needs the token printed with its URL")
        return None

    # --- responses -------------------------------------------------------------------------
    def _headers(self, status: int, kind: str, length: int | None, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Content-Security-Policy", _CSP)
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()

    def _bytes(self, status: int, body: bytes, kind: str, head: bool, set_cookie: str = "",
               cache: str = "no-cache") -> None:
        extra = {"Cache-Control": cache, **({"Set-Cookie": set_cookie} if set_cookie else {})}
        self._headers(status, kind, len(body), extra)
        if not head:
            self.wfile.write(body)

    def _plain(self, status: int, text: str, extra: dict[str, str] | None = None) -> None:
        body = (text + "\n").encode()
        self._headers(status, "text/plain; charset=utf-8", len(body), extra)
        if self.command != "HEAD":
            self.wfile.write(body)

    def _file(self, path: Path | None, kind: str, head: bool, immutable: bool) -> None:
        if path is None:
            self._plain(404, "not found")
            return
        try:
            f = open(path, "rb")  # noqa: SIM115 - closed below
        except OSError:
            self._plain(404, "not found")
            return
        with f:
            size = os.fstat(f.fileno()).st_size
            start, end = 0, size - 1
            status = 200
            extra = {"Accept-Ranges": "bytes",
                     "Cache-Control": "public, max-age=31536000, immutable" if immutable else "no-cache"}
            try:
                wanted = _range(self.headers.get("Range"), size)
            except ValueError:
                self._plain(416, "range not satisfiable", {"Content-Range": f"bytes */{size}"})
                return
            if wanted is not None:
                start, end = wanted
                status = 206
                extra["Content-Range"] = f"bytes {start}-{end}/{size}"
            self._headers(status, kind, end - start + 1 if size else 0, extra)
            if head or not size:
                return
            f.seek(start)
            left = end - start + 1
            try:
                while left > 0:
                    chunk = f.read(min(left, 1 << 16))
                    if not chunk:
                        break
                    self.wfile.write(chunk)
                    left -= len(chunk)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

    def _events(self, head: bool) -> None:
        self.close_connection = True
        self._headers(200, "text/event-stream", None, {"Cache-Control": "no-store", "Connection": "close"})
        if head:
            return
        pages = self.preview.state.subscribe()
        try:
            self.wfile.write(b"retry: 1000\n\n")
            while True:
                try:
                    message = pages.get(timeout=_KEEPALIVE)
                except queue.Empty:
                    self.wfile.write(b": keep-alive\n\n")
                    self.wfile.flush()
                    continue
                if message is None:
                    return
                self.wfile.write(b"data: " + message.encode() + b"\n\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            return
        finally:
            self.preview.state.unsubscribe(pages)


def _range(header: str | None, size: int) -> tuple[int, int] | None:
    """The byte range a ``Range`` header asks for (one range; None: the whole file); ValueError when
    it lies beyond the file."""
    if not header:
        return None
    m = re.fullmatch(r"bytes=(\d*)-(\d*)", header.strip())
    if m is None or (not m.group(1) and not m.group(2)):
        return None  # several ranges or another unit: the whole file
    if m.group(1):
        start = int(m.group(1))
        end = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
    else:
        start, end = max(size - int(m.group(2)), 0), size - 1
    if start >= size or start > end:
        raise ValueError(header)
    return start, end

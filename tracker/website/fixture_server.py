"""A small website served on loopback, for the tests, the demo and the benchmark — never a real
government site. A ``Site`` maps paths to ``Reply``s (or answers from a function); ``serve``
runs it in a thread on 127.0.0.1 and returns the server with its base address.

A reply can wait before answering (a slow page), send its body in trickles (a page slower than
the crawler's deadline), redirect, declare or not its charset, or be any size (the size cap).
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    delay: float = 0.0       # seconds before the status line
    trickle: float = 0.0     # seconds between chunks of the body
    chunk: int = 64


def html(text: str, encoding: str = "utf-8", declare: str | None = "header") -> Reply:
    """An HTML page in ``encoding``; its charset declared in the HTTP header ("header"), in a
    ``<meta>`` already in ``text`` ("meta"), or nowhere (None)."""
    content_type = "text/html" + (f"; charset={encoding}" if declare == "header" else "")
    return Reply(body=text.encode(encoding), headers={"Content-Type": content_type})


def redirect(location: str, status: int = 302) -> Reply:
    return Reply(status=status, headers={"Location": location})


class Site:
    """Pages by path (query strings included when registered with one)."""

    def __init__(self, pages: dict[str, Reply] | None = None, handler: Callable[[str, str], Reply | None] | None = None):
        self.pages = dict(pages or {})
        self.handler = handler
        self.hits: dict[str, int] = {}
        self.lock = threading.Lock()

    def __setitem__(self, path: str, reply: Reply):
        self.pages[path] = reply

    def reply(self, host: str, target: str) -> Reply:
        with self.lock:
            self.hits[target] = self.hits.get(target, 0) + 1
        if target in self.pages:
            return self.pages[target]
        path = urlsplit(target).path
        if path in self.pages:
            return self.pages[path]
        if self.handler is not None:
            found = self.handler(host, target)
            if found is not None:
                return found
        return Reply(404, "<html><head><title>404</title></head><body>页面不存在</body></html>".encode(),
                     {"Content-Type": "text/html; charset=utf-8"})


def _handler(site: Site):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "FixtureSite/1.0"

        def log_message(self, *args):  # quiet
            pass

        def _answer(self, with_body: bool):
            reply = site.reply(self.headers.get("Host", ""), self.path)
            if reply.delay:
                time.sleep(reply.delay)
            self.send_response(reply.status)
            headers = {"Content-Length": str(len(reply.body)), **reply.headers}
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if not with_body:
                return
            try:
                if reply.trickle:
                    for i in range(0, len(reply.body), reply.chunk):
                        self.wfile.write(reply.body[i:i + reply.chunk])
                        self.wfile.flush()
                        time.sleep(reply.trickle)
                else:
                    self.wfile.write(reply.body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def do_GET(self):  # noqa: N802 - the http.server interface
            self._answer(True)

        def do_HEAD(self):  # noqa: N802
            self._answer(False)

    return Handler


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        """A client that hung up (a crawler closing its kept-alive connections) is no error."""
        import sys
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


def serve(site: Site, port: int = 0, host: str = "127.0.0.1") -> Server:
    """Serve ``site`` on loopback in a daemon thread; ``server.shutdown()`` stops it."""
    server = Server((host, port), _handler(site))
    threading.Thread(target=server.serve_forever, name="fixture-site", daemon=True).start()
    return server

"""The demo's stand-in for 企业微信, 钉钉 and the SMS gateway: a small HTTP server on loopback that
answers as they do and writes one line per message to a log, so the demo city's robot messages
and SMS are delivered somewhere visible (``./scripts/demo`` starts it; README, "Group robots and
SMS"). The tests and ``bench/bench_channels.py`` run the same server with answers of their own.

    python -m tracker.demo.sink --port 5001 --log instance/channel-sink.log
"""
import argparse
import json
import threading
import time
from collections.abc import Callable
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

ANSWERS = {
    "/cgi-bin/webhook/send": {"errcode": 0, "errmsg": "ok"},   # 企业微信 group robot
    "/robot/send": {"errcode": 0, "errmsg": "ok"},             # 钉钉 custom robot
    "/sms/send": {"code": 0, "msg": "提交成功"},                 # the SMS gateway (the demo's template)
}


class LoopbackHTTP:
    """A threaded HTTP server on 127.0.0.1 that hands each POST, as a dict (path, query, headers,
    raw body, JSON body, arrival time), to ``answer`` and sends back its (status, JSON body)."""

    def __init__(self, answer: Callable[[dict], tuple[int, dict]], port: int = 0):
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8", "replace")
                parts = urlsplit(self.path)
                try:
                    body = json.loads(raw) if raw.startswith("{") else None
                except ValueError:
                    body = None
                status, reply = answer({"path": parts.path, "query": parse_qs(parts.query), "raw": raw, "json": body,
                                        "headers": dict(self.headers), "at": time.time()})
                data = json.dumps(reply, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def start(self) -> "LoopbackHTTP":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def demo_answer(log_path: str) -> Callable[[dict], tuple[int, dict]]:
    """Answer as the real services do and log the message (never the query: robot keys and
    signatures travel there; never the gateway's account or password)."""
    lock = threading.Lock()

    def answer(request: dict) -> tuple[int, dict]:
        body = request["json"] if request["json"] is not None else request["raw"]
        if isinstance(body, dict):
            body = {k: v for k, v in body.items() if k not in ("account", "password")}
        with lock, open(log_path, "a", encoding="utf-8") as log:
            log.write(json.dumps({"at": datetime.now().isoformat(timespec="seconds"), "path": request["path"],
                                  "key": request["headers"].get("X-Tracker-Idempotency-Key"), "body": body},
                                 ensure_ascii=False) + "\n")
        known = request["path"] in ANSWERS
        return (200, ANSWERS[request["path"]]) if known else (404, {"errcode": 404, "errmsg": "unknown path"})

    return answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    sink = LoopbackHTTP(demo_answer(args.log), args.port)
    try:
        sink.server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()

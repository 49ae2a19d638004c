"""The demo's stand-in for 企业微信, 钉钉 and the SMS gateway: a small HTTP server on loopback that
answers as they do and writes one line per message to a log, so the demo city's robot messages
and SMS are delivered somewhere visible (``./scripts/demo`` starts it; README, "Reminders ...").

    python -m tracker.demo.sink --port 5001 --log instance/channel-sink.log
"""
import argparse
import json
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

ANSWERS = {
    "/cgi-bin/webhook/send": {"errcode": 0, "errmsg": "ok"},   # 企业微信 group robot
    "/robot/send": {"errcode": 0, "errmsg": "ok"},             # 钉钉 custom robot
    "/sms/send": {"code": 0, "msg": "提交成功"},                 # the SMS gateway (demo template)
}


def serve(port: int, log_path: str) -> ThreadingHTTPServer:
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            path = urlsplit(self.path).path  # the query (robot keys, signatures) is never logged
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8", "replace")
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw
            if isinstance(body, dict):
                body.pop("password", None)
                body.pop("account", None)
            with lock, open(log_path, "a", encoding="utf-8") as log:
                log.write(json.dumps({"at": datetime.now().isoformat(timespec="seconds"), "path": path,
                                      "key": self.headers.get("X-Tracker-Idempotency-Key"), "body": body},
                                     ensure_ascii=False) + "\n")
            answer = json.dumps(ANSWERS.get(path, {"errcode": 404, "errmsg": "unknown path"})).encode()
            self.send_response(200 if path in ANSWERS else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    return ThreadingHTTPServer(("127.0.0.1", port), Handler)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    server = serve(args.port, args.log)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()

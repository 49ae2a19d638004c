"""``python -m tracker.demo.serve_website``: the demo's fixture website (made-up content, labelled
as a demo on every page), serving what ``flask demo`` wrote in ``instance/demo-website.json``."""
import argparse
import os

from ..website.fixture_server import Server, _handler
from .website import LiveManifest, make_site, port


def main() -> None:  # pragma: no cover - the demo's long-running site, started by scripts/demo
    parser = argparse.ArgumentParser(description="The demo's fixture website (made-up content).")
    parser.add_argument("--instance", default=os.environ.get("TRACKER_INSTANCE_PATH", "instance"))
    args = parser.parse_args()
    server = Server(("127.0.0.1", port()), _handler(make_site(LiveManifest(args.instance))))
    print(f"演示网站（虚构内容）：{server.url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()

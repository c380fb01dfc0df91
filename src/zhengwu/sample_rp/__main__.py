"""``python -m zhengwu.sample_rp [--env-file var/sample-rp.env]``: serve the sample
relying party on 127.0.0.1 (reached as http://localhost:<port>)."""

import argparse
import os
from wsgiref.simple_server import make_server

from .app import load_env_file, make_app


def main() -> None:
    parser = argparse.ArgumentParser(description="示例接入系统（单点登录演示）")
    parser.add_argument("--env-file", default="")
    args = parser.parse_args()
    if args.env_file and os.path.exists(args.env_file):
        load_env_file(args.env_file)
    app = make_app()
    port = int(os.environ.get("ZHENGWU_SAMPLE_RP_PORT", "8001"))
    with make_server("127.0.0.1", port, app) as server:
        print(f"sample relying party on {app.config.base_url}", flush=True)  # noqa: T201
        server.serve_forever()


if __name__ == "__main__":
    main()

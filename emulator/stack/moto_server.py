"""moto's AWS APIs (CloudWatch, S3) under waitress: ``python -m emulator.stack.moto_server``.

moto's own server (Werkzeug's development server) closes every connection; waitress keeps
connections alive. One process, since moto's state lives in process memory.
"""

from __future__ import annotations

import argparse

import waitress
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app


def main(argv: list[str] | None = None) -> None:
    """Serve on ``--host/--port`` until SIGTERM/SIGINT."""
    parser = argparse.ArgumentParser(prog="python -m emulator.stack.moto_server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args(argv)
    app = DomainDispatcherApplication(create_backend_app)
    waitress.serve(
        app,
        host=args.host,
        port=args.port,
        threads=args.threads,
        connection_limit=1000,
        channel_timeout=60,
        backlog=2048,
        ident="moto",
        _quiet=True,
    )


if __name__ == "__main__":
    main()

"""Serve the API in this process under uvicorn: ``python -m emulator.app.serve --port N``.

Settings come from ``SCALING_LAB_APP_SETTINGS``. One process, so request counters that an
extension keeps (e.g. a concurrency gate) are shared by every request.
"""

from __future__ import annotations

import argparse

import uvicorn

from emulator.app.asgi import create_app
from emulator.app.settings import AppSettings


def main(argv: list[str] | None = None) -> None:
    """Parse ``--host/--port`` and serve until SIGTERM/SIGINT."""
    parser = argparse.ArgumentParser(prog="python -m emulator.app.serve")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    settings = AppSettings.from_env()
    # One process serves many concurrent requests: let them share SendMessageBatch calls.
    app = create_app(settings.model_copy(update={"enqueue_batching": True}))
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
        timeout_keep_alive=30,
        timeout_graceful_shutdown=5,
        backlog=4096,
    )


if __name__ == "__main__":
    main()

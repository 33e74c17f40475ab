"""The web app served by uvicorn in a thread of `intake serve`, started and stopped with the
service's other parts."""

from __future__ import annotations

import threading
import time

import uvicorn

# anyio imports its file helpers lazily, on the first static file served: imported here, by the
# thread that starts the server, that import never happens inside a request. (Under pytest a
# first import inside the server's thread parses with assertion rewriting, which CPython 3.11
# can fail with "AST constructor recursion depth mismatch".)
from anyio import open_file  # noqa: F401
from fastapi import FastAPI

# How long `start` waits for the port to be bound before calling the start a failure.
START_TIMEOUT_SECONDS = 10.0


class WebServer:
    """uvicorn on `host:port` in a daemon thread; `start()` returns once it accepts connections."""

    def __init__(self, app: FastAPI, host: str, port: int) -> None:
        self.host, self.port = host, port
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            # intake's own logging is set up once in main(); uvicorn must not replace it.
            log_config=None,
            access_log=False,
            lifespan="off",
            # Behind a proxy the operator sets FORWARDED_ALLOW_IPS; by default trust none.
            proxy_headers=False,
            server_header=False,
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._server.run, name="intake-web", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not self._server.started:
            if not self._thread.is_alive():
                raise OSError(f"the web server could not listen on {self.host}:{self.port}")
            if time.monotonic() > deadline:
                raise OSError(f"the web server did not start on {self.host}:{self.port}")
            time.sleep(0.02)

    def describe(self) -> str:
        return f"web on http://{self.host}:{self.port}"

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

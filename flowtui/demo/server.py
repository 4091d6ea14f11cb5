"""The embedded demo endpoint: moto's server in a child process on 127.0.0.1.

The child binds a free port itself and reports it on a pipe, so no port can be taken between
choosing and binding. Its stdout and stderr go to a log file (or an anonymous temporary file), so
its request log never reaches the terminal. The child keeps its stdin pipe open as a lifeline:
when the parent closes it (`stop()`) or dies, even by SIGKILL, the child shuts down, so it is
never orphaned.

The child answers CloudWatch Logs Insights (StartQuery, GetQueryResults, StopQuery,
DescribeQueries) with `flowtui.demo.insights`, which evaluates the queries flowtui emits.

Run as `python -m flowtui.demo.server` this module is the child; nothing else should run it.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import weakref
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_logs import CloudWatchLogsClient

#: What the demo clients sign with. The endpoint accepts any credentials; these are not secret.
DEMO_CREDENTIALS: dict[str, str] = {
    "aws_access_key_id": "testing",
    "aws_secret_access_key": "testing",
    "aws_session_token": "testing",
}

_HOST = "127.0.0.1"
_STOP_GRACE_SECONDS = 5.0


class DemoUnavailableError(RuntimeError):
    """The demo cannot run in this installation; the message says what to install."""


class EndpointError(RuntimeError):
    """The embedded endpoint failed to start or stopped answering."""


def require_moto() -> None:
    """Raise DemoUnavailableError with an install hint when moto is missing."""
    if importlib.util.find_spec("moto") is None:
        raise DemoUnavailableError(
            "the demo needs moto, which ships as the 'demo' extra: pip install 'flowtui[demo]'"
        )


class EmbeddedEndpoint:
    """moto's server in its own process; use as a context manager or call start()/stop().

    `middleware` is an optional "package.module:factory" spec; the child imports it and serves
    `factory(app)` instead of moto's WSGI app (for example to inject faults).
    `seed` seeds moto's id generator, so the same build produces the same ids.
    """

    def __init__(
        self,
        *,
        seed: int = 7,
        log_path: Path | None = None,
        middleware: str | None = None,
        startup_timeout: float = 30.0,
    ) -> None:
        self._seed = seed
        self._log_path = log_path
        self._middleware = middleware
        self._startup_timeout = startup_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._url: str | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None

    @property
    def url(self) -> str:
        if self._url is None:
            raise EndpointError("the demo endpoint is not running: call start() first")
        return self._url

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs."""
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> Self:
        if self._process is not None:
            return self
        require_moto()
        with self._open_log() as log:  # the child keeps its own descriptor
            process = subprocess.Popen(
                self._child_command(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                env=_child_environment(),
                # A terminal's Ctrl-C must not kill the child before the parent stopped writing.
                start_new_session=True,
            )
            self._process = process
            self._finalizer = weakref.finalize(self, _terminate, process)
            try:
                port = self._read_port(process)
                self._url = f"http://{_HOST}:{port}"
                self._wait_until_answering()
            except EndpointError as error:
                self.stop()
                raise EndpointError(f"{error}{_last_line(log)}") from None
            except BaseException:
                self.stop()
                raise
        return self

    def stop(self) -> None:
        """Stop the child and wait for it; safe to call more than once."""
        if self._finalizer is not None:
            self._finalizer()
        self._process = None
        self._url = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _child_command(self) -> list[str]:
        command = [sys.executable, "-m", "flowtui.demo.server"]
        if self._log_path is not None:
            command.append("--log-requests")
        if self._middleware is not None:
            command += ["--middleware", self._middleware]
        return command

    def _open_log(self) -> IO[bytes]:
        if self._log_path is None:
            # Anonymous: read only when the child fails to start (see _last_line).
            return tempfile.TemporaryFile()
        self._log_path.parent.mkdir(parents=True, exist_ok=True)
        return self._log_path.open("a+b")

    def _read_port(self, process: subprocess.Popen[bytes]) -> int:
        stdout = process.stdout
        assert stdout is not None
        lines: list[bytes] = []
        # A thread, not select(): select() cannot wait on pipes on Windows.
        reader = threading.Thread(target=lambda: lines.append(stdout.readline()), daemon=True)
        reader.start()
        reader.join(self._startup_timeout)
        line = lines[0] if lines else b""
        if not line.strip().isdigit():
            raise EndpointError("the demo endpoint did not start")
        return int(line)

    def _wait_until_answering(self) -> None:
        """Seed moto's ids; the first answer also proves the server is up."""
        deadline = time.monotonic() + self._startup_timeout
        request = urllib.request.Request(
            f"{self.url}/moto-api/seed?a={self._seed}", data=b"", method="POST"
        )
        while True:
            try:
                with urllib.request.urlopen(request, timeout=2.0):
                    return
            except (urllib.error.URLError, ConnectionError) as error:
                if time.monotonic() > deadline or not self.running:
                    raise EndpointError(f"the demo endpoint does not answer: {error}") from None
                time.sleep(0.05)


def _last_line(log: IO[bytes]) -> str:
    """The child's last words (say, a failing middleware import), for the error message."""
    log.seek(0, os.SEEK_END)
    log.seek(max(0, log.tell() - 2048))
    lines = log.read().decode(errors="replace").strip().splitlines()
    return f": {lines[-1]}" if lines else ""


def _terminate(process: subprocess.Popen[bytes]) -> None:
    """Close the lifeline, then insist; runs at stop() or at interpreter exit."""
    if process.stdin is not None and not process.stdin.closed:
        process.stdin.close()
    try:
        process.wait(timeout=_STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        process.terminate()
        try:
            process.wait(timeout=_STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout is not None:
        process.stdout.close()


def _child_environment() -> dict[str, str]:
    """The parent's environment without AWS settings: the child never talks to AWS."""
    return {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}


def logs_client(
    endpoint_url: str, region: str, *, validate_parameters: bool = True
) -> CloudWatchLogsClient:
    """A CloudWatch Logs client for the demo endpoint, signed with the dummy credentials.

    The demo's own writer turns parameter validation off: botocore checks every event of a
    10,000-event batch, which costs as much as the request itself.
    """
    import boto3

    return boto3.client("logs", **_client_options(endpoint_url, region, validate_parameters))


def ec2_client(endpoint_url: str, region: str) -> EC2Client:
    """An EC2 client for the demo endpoint, signed with the dummy credentials."""
    import boto3

    return boto3.client("ec2", **_client_options(endpoint_url, region))


def _client_options(
    endpoint_url: str, region: str, validate_parameters: bool = True
) -> dict[str, Any]:
    from botocore.config import Config

    return {
        "endpoint_url": endpoint_url,
        "region_name": region,
        # StartLiveTail's "stream-" host prefix cannot resolve against 127.0.0.1.
        "config": Config(
            inject_host_prefix=False,
            retries={"mode": "standard", "max_attempts": 3},
            connect_timeout=5,
            read_timeout=30,
            parameter_validation=validate_parameters,
        ),
        **DEMO_CREDENTIALS,
    }


# --- the child ---------------------------------------------------------------------------------


def _load_middleware(spec: str) -> Any:
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise SystemExit(f"--middleware wants 'package.module:factory', got '{spec}'")
    return getattr(importlib.import_module(module_name), attribute)


def _shutdown_when_parent_leaves(server: Any) -> None:
    """Block on the lifeline pipe; EOF means the parent stopped us or died."""
    while sys.stdin.buffer.read(4096):
        pass
    server.shutdown()


def _serve(argv: list[str]) -> None:
    import logging

    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    parser = argparse.ArgumentParser(prog="python -m flowtui.demo.server")
    parser.add_argument("--log-requests", action="store_true")
    parser.add_argument("--middleware")
    args = parser.parse_args(argv)
    if not args.log_requests:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)

    from flowtui.demo.insights.service import install as install_insights

    install_insights()  # Logs Insights beyond moto's: filter, parse, stats, statuses, StopQuery
    app: Any = DomainDispatcherApplication(create_backend_app)
    if args.middleware:
        app = _load_middleware(args.middleware)(app)
    server = make_server(_HOST, 0, app, threaded=True, request_handler=MotoRequestHandler)
    os.environ["MOTO_PORT"] = str(server.server_port)
    sys.stdout.write(f"{server.server_port}\n")
    sys.stdout.flush()
    # From here on, anything printed goes to the log with stderr, never to the parent's pipe.
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    threading.Thread(target=_shutdown_when_parent_leaves, args=(server,), daemon=True).start()
    server.serve_forever(poll_interval=0.1)  # how long shutdown() may wait


if __name__ == "__main__":
    _serve(sys.argv[1:])

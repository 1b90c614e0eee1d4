"""Test runs of ``<python> -m pytest`` forked from a warm pytest process instead of a fresh interpreter.

A fresh ``python -m pytest`` spends most of a small repository's run starting up: the interpreter,
pytest, every installed plugin and their assertion rewriting (with bytecode writing off, as our
test runs have it, that rewriting is redone each run). `warm_start` keeps one server process a
(interpreter, environment) that has done all of that once (tools/pytest_server.py) and forks it for
each run; the child sets up the working folder, environment, sys.path and memory cap as the fresh
process would have them. A repository whose files would shadow a module the server has already
imported (a top-level ``logging.py``, a vendored ``pluggy``) runs the plain way, as does any other
command, an interpreter without pytest, or ``KOG_WARM_TESTS=0``. What differs from a fresh process:
the hash seed is the server's for every run (set iteration order repeats between runs), and what the
server imported (pytest, the plugins, their imports) is already in sys.modules.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

SERVER_SOURCE = Path(__file__).with_name("pytest_server.py").read_text(encoding="utf-8")
PER_RUN = frozenset(
    {"KOG_JUNIT_XML", "KOG_TEST_PROGRESS", "KOG_TRACE_SPEC", "PYTHONPATH"}
)  # set by run_tests each run
READY_TIMEOUT_S = 60.0  # the server's start: an interpreter, pytest and the plugins
REPLY_TIMEOUT_S = 10.0  # a fork, or a stopped run's status
SKIPPED_DIRS = frozenset({"node_modules", "__pycache__", "site-packages", "build", "dist"})


class WarmError(Exception):
    """The server did not start or stopped answering; the run goes the plain way."""


class WarmServer:
    def __init__(self, python: str, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [python, "-c", SERVER_SOURCE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=tempfile.gettempdir(),
            env=env,
            start_new_session=True,
        )
        self._buffer = b""
        self.lock = threading.Lock()  # one run at a time: held from its start until its status is read
        self._hello_lock = threading.Lock()
        self._modules: frozenset[str] | None = None

    def ready(self) -> frozenset[str]:
        """The modules the server has imported, once it has started (waits for its first reply)."""
        with self._hello_lock:
            if self._modules is None:
                hello = self.read(READY_TIMEOUT_S)
                if hello is None or not hello.get("ready"):
                    raise WarmError("the warm pytest did not start")
                self._modules = frozenset(hello["modules"]) - {"__main__"}
            return self._modules

    def read(self, timeout_s: float) -> dict | None:
        """The next reply, or None after timeout_s; WarmError if the server has gone."""
        deadline = time.monotonic() + timeout_s
        stdout = self.process.stdout
        assert stdout is not None
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([stdout], [], [], left)[0]:
                return None
            chunk = os.read(stdout.fileno(), 65536)
            if not chunk:
                raise WarmError("the warm pytest exited")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return json.loads(line)

    def start(self, args: list[str], root: Path, env: dict[str, str], output: str, limit_mb: int) -> WarmRun:
        """Forks the run; the caller holds `lock`, which the run releases once its status is read."""
        request = {"args": args, "cwd": str(root), "env": env, "output": output, "limit_mb": limit_mb}
        stdin = self.process.stdin
        assert stdin is not None
        try:
            stdin.write((json.dumps(request) + "\n").encode())
            stdin.flush()
        except OSError as exc:
            raise WarmError(f"the warm pytest stopped reading: {exc}") from exc
        started = self.read(REPLY_TIMEOUT_S)
        if started is None or "pid" not in started:
            raise WarmError("the warm pytest did not fork")
        return WarmRun(self, started["pid"])

    def close(self) -> None:
        try:
            if self.process.stdin:
                self.process.stdin.close()
            self.process.wait(timeout=2)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()


class WarmRun:
    """A forked test run, waited on and stopped like a `subprocess.Popen` (pid, wait, returncode)."""

    def __init__(self, server: WarmServer, pid: int) -> None:
        self.server, self.pid = server, pid
        self.returncode: int | None = None

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is not None:
            return self.returncode
        reply = self.server.read(1e9 if timeout is None else timeout)
        if reply is None:
            raise subprocess.TimeoutExpired(["pytest"], timeout or 0)
        self.returncode = int(reply["status"])
        self.server.lock.release()
        return self.returncode


ServerKey = tuple[str, frozenset[tuple[str, str]]]
_SERVERS: dict[ServerKey, WarmServer] = {}
_FAILED: set[ServerKey] = set()


def _server_key(argv: list[str], root: Path, env: dict[str, str]) -> ServerKey | None:
    """(interpreter, environment) of the server that would run argv; None: argv runs the plain way."""
    if os.environ.get("KOG_WARM_TESTS", "1") == "0" or not hasattr(os, "fork"):
        return None
    if len(argv) < 3 or argv[1:3] != ["-m", "pytest"]:
        return None
    program = argv[0] if os.path.isabs(argv[0]) or os.sep not in argv[0] else str(root / argv[0])
    python = shutil.which(program, path=env.get("PATH"))
    if python is None:
        return None
    key = (python, frozenset((k, v) for k, v in env.items() if k not in PER_RUN))
    return None if key in _FAILED else key


def prestart(argv: list[str], root: Path, env: dict[str, str]) -> None:
    """Starts the server that `warm_start` of argv in root would fork, without waiting for it: the
    agent calls this before its model loads, so the first test run finds pytest imported."""
    key = _server_key(argv, root, env)
    if key is None or key in _SERVERS:
        return
    try:
        _SERVERS[key] = WarmServer(key[0], dict(key[1]))
    except OSError:
        _FAILED.add(key)


def warm_start(
    argv: list[str], root: Path, env: dict[str, str], output: str, limit_mb: int
) -> WarmRun | None:
    """The run of argv in root, started in a fork of the warm server for its interpreter and
    environment; None where it must run the plain way (see the module's docstring)."""
    key = _server_key(argv, root, env)
    if key is None:
        return None
    server = _SERVERS.get(key)
    try:
        if server is None:
            server = _SERVERS[key] = WarmServer(key[0], dict(key[1]))
        if shadowed(root, server.ready()) or not server.lock.acquire(blocking=False):
            return None
        try:
            return server.start(argv[3:], root, env, output, limit_mb)
        except BaseException:
            server.lock.release()
            raise
    except (WarmError, OSError, ValueError):
        _FAILED.add(key)
        if server is not None:
            _SERVERS.pop(key, None)
            server.close()
        return None


def shadowed(root: Path, modules: frozenset[str]) -> list[str]:
    """Modules the server has imported whose names a file or folder of the repository could take as
    a top-level module (what lies in a folder that is not a package: the root, test folders)."""
    names: set[str] = set()
    for folder, dirs, files in os.walk(root):
        dirs[:] = [
            d for d in dirs
            if not d.startswith(".") and d not in SKIPPED_DIRS and not os.path.exists(os.path.join(folder, d, "pyvenv.cfg"))
        ]  # fmt: skip
        if "__init__.py" in files and folder != str(root):
            continue
        names.update(name[:-3] for name in files if name.endswith(".py"))
        names.update(dirs)
    return sorted(names & modules)


@atexit.register
def _close_all() -> None:
    for server in _SERVERS.values():
        server.close()
    _SERVERS.clear()

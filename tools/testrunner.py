"""Running a repository's tests in a clean subprocess and reading the results from JUnit XML.

``<python> -m pytest`` commands run in a fork of a warm pytest process where they can
(kog.tools.warm_pytest): the same run without the interpreter's, pytest's and the plugins' start-up.

Deviations from the agreed API: the result models live in kog.tools.testresults (re-exported here);
a timed-out run is stopped with SIGINT first (so pytest still writes the results it has), then
SIGTERM, then SIGKILL, and the test that was running is reported as an "error" case.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Mapping
from pathlib import Path

from kog.tools.errors import TestCommandError
from kog.tools.junit import parse_frames, read_junit, repo_relative
from kog.tools.testresults import Frame, Outcome, TestCase, TestRun
from kog.tools.warm_pytest import WarmRun, prestart, warm_start

__all__ = ["Frame", "Outcome", "TestCase", "TestRun", "resolve_test_command", "run_tests"]

KEPT_ENV = frozenset(
    {"PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TEMP", "TMP", "TERM"}
    | {"SYSTEMROOT", "SYSTEMDRIVE", "COMSPEC", "PATHEXT", "WINDIR", "USERPROFILE", "APPDATA", "LOCALAPPDATA"}
    | {"VIRTUAL_ENV", "CONDA_PREFIX", "CONDA_DEFAULT_ENV"}
)
STOP_SIGNALS = ((signal.SIGINT, 2.0), (signal.SIGTERM, 1.0), (signal.SIGKILL, 5.0))
TAIL_CHARS = 4000
PROGRESS_PLUGIN = "kog_test_progress"
# Loaded into pytest with -p so that a run killed at the timeout still says which test hung.
PROGRESS_PLUGIN_SOURCE = """
import json, os, signal, traceback

# A process started with SIGINT ignored (a background job) passes that on to its children, and then
# pytest would never see the stop signal; Python's own handler makes it stop and write its report.
signal.signal(signal.SIGINT, signal.default_int_handler)

_running = [""]

def _write(frames):
    with open(os.environ["KOG_TEST_PROGRESS"], "w", encoding="utf-8") as handle:
        json.dump({"nodeid": _running[0], "frames": frames}, handle)

def pytest_runtest_logstart(nodeid, location):
    _running[0] = nodeid
    _write([])

def pytest_runtest_logfinish(nodeid, location):
    _running[0] = ""
    _write([])

def pytest_keyboard_interrupt(excinfo):
    _write([[f.filename, f.lineno, f.name] for f in traceback.extract_tb(excinfo.tb)])
"""


def resolve_test_command(root: str | Path, cli_value: str | None = None) -> str:
    """--test-cmd if given, else ``[tool.kog-agent] test-cmd`` of root/pyproject.toml, else pytest."""
    if cli_value and cli_value.strip():
        return cli_value.strip()
    pyproject = Path(root) / "pyproject.toml"
    if pyproject.is_file():
        try:
            settings = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise TestCommandError(f"cannot read {pyproject}: {exc}") from exc
        value = settings.get("tool", {}).get("kog-agent", {}).get("test-cmd")
        if isinstance(value, list) and all(isinstance(part, str) for part in value):
            return shlex.join(value)
        if isinstance(value, str) and value.strip():
            return value.strip()
        if value is not None:
            raise TestCommandError(f"[tool.kog-agent] test-cmd in {pyproject} must be a string")
    return f"{shlex.quote(sys.executable)} -m pytest"


def default_memory_limit_mb() -> int:
    """Half the machine's memory, at least 4 GiB: room for real test suites, none for a runaway loop."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    except (ValueError, OSError, AttributeError):
        return 4096
    return max(4096, total // 2)


def run_tests(
    root: str | Path,
    command: str,
    select: list[str] | None = None,
    timeout_s: float = 300,
    memory_limit_mb: int | None = None,
    plugins: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
) -> TestRun:
    """Run ``command`` (no shell) in ``root`` with a clean environment and read its results.

    pytest commands get ``--junitxml=<tmp> -p no:cacheprovider -q`` (and a few options that make
    node ids repository-relative) plus the ``select`` ids appended. Other commands may write JUnit
    XML to the path in $KOG_JUNIT_XML. At ``timeout_s`` the whole process group is stopped. The test
    process may allocate at most ``memory_limit_mb`` (default `default_memory_limit_mb`, 0: no limit), so a
    candidate edit that allocates without end fails its tests instead of exhausting the machine.
    `plugins` (module name -> source) are loaded into a pytest run with -p; `env` adds variables.
    """
    limit_mb = default_memory_limit_mb() if memory_limit_mb is None else memory_limit_mb
    root = Path(root).resolve()
    argv = shlex.split(command)
    if not argv:
        raise TestCommandError("the test command is empty")
    with tempfile.TemporaryDirectory(prefix="kog-tests-") as scratch_dir:
        scratch = Path(scratch_dir)
        junit_path, progress_path = scratch / "junit.xml", scratch / "progress"
        run_env = clean_environment() | dict(env or {})
        run_env["KOG_JUNIT_XML"] = str(junit_path)
        if is_pytest(argv):
            extra = {PROGRESS_PLUGIN: PROGRESS_PLUGIN_SOURCE, **(plugins or {})}
            for name, source in extra.items():
                (scratch / f"{name}.py").write_text(source, encoding="utf-8")
            run_env["PYTHONPATH"] = scratch_dir
            run_env["KOG_TEST_PROGRESS"] = str(progress_path)
            loads = [option for name in plugins or {} for option in ("-p", name)]
            argv += pytest_options(root, junit_path) + loads + list(select or [])
        started = time.monotonic()
        with open(scratch / "output", "w+b") as output:
            returncode, timed_out = _run(argv, root, run_env, output, timeout_s, limit_mb)
            output.seek(max(0, output.seek(0, os.SEEK_END) - 4 * TAIL_CHARS))
            tail = output.read().decode("utf-8", errors="replace")[-TAIL_CHARS:]
        cases = read_junit(junit_path, root)
        hung = _read_progress(progress_path)
    run = TestRun(
        command=command,
        cases=cases,
        duration_s=round(time.monotonic() - started, 3),
        timed_out=timed_out,
        returncode=None if timed_out else returncode,
        output_tail=tail,
    )
    if timed_out and hung.get("nodeid"):
        run.cases.append(_hung_case(hung, root, timeout_s))
    elif not cases and not timed_out and returncode not in (0, 5):
        failed = _failed_session(tail, root)
        if failed is not None:
            run.cases.append(failed)
        elif is_pytest(argv):
            last = " | ".join(tail.strip().splitlines()[-3:]) or "no output"
            raise TestCommandError(f"the test command failed before running any test: {last}")
    return run


def prestart_tests(root: str | Path, command: str | None) -> None:
    """Starts, without waiting, what makes the first `run_tests` of the repository's test command
    quick (the warm pytest it would fork; see `kog.tools.warm_pytest`). Never raises: a command that
    cannot run is reported by `run_tests`."""
    try:
        root = Path(root).resolve()
        argv = shlex.split(resolve_test_command(root, command))
    except (TestCommandError, ValueError, OSError):
        return
    prestart(argv, root, clean_environment())


def is_pytest(argv: list[str]) -> bool:
    """Whether the command runs pytest (``pytest``, ``python -m pytest``, ``uv run pytest``, ...)."""
    return any(Path(part).name in ("pytest", "py.test") for part in argv)


def pytest_options(root: Path, junit_path: Path) -> list[str]:
    return [
        f"--junitxml={junit_path}",
        "-o",
        "junit_family=xunit1",
        "-p",
        "no:cacheprovider",
        "-p",
        PROGRESS_PLUGIN,
        "-q",
        f"--rootdir={root}",
        "--continue-on-collection-errors",
    ]


def clean_environment() -> dict[str, str]:
    """The variables a test run needs from ours; PYTHON* and the rest stay out."""
    env = {key: value for key, value in os.environ.items() if key in KEPT_ENV or key.startswith("LC_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _run(
    argv: list[str], root: Path, env: dict[str, str], output, timeout_s: float, limit_mb: int
) -> tuple[int, bool]:
    process: subprocess.Popen | WarmRun | None = warm_start(argv, root, env, output.name, limit_mb)
    if process is None:
        process = _spawn(argv, root, env, output, limit_mb)
    try:
        return process.wait(timeout=timeout_s), False
    except subprocess.TimeoutExpired:
        _stop_group(process)
        return process.returncode, True
    except BaseException:
        _stop_group(process)
        raise


def _spawn(argv: list[str], root: Path, env: dict[str, str], output, limit_mb: int) -> subprocess.Popen:
    try:
        process = subprocess.Popen(
            argv,
            cwd=root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    except (FileNotFoundError, PermissionError, NotADirectoryError) as exc:
        raise TestCommandError(f"cannot run the test command {argv[0]!r}: {exc.strerror or exc}") from exc
    if limit_mb > 0:
        _limit_memory(process.pid, limit_mb)
    return process


def _limit_memory(pid: int, limit_mb: int) -> None:
    """Caps the writable memory the test process may map (its children inherit the cap): RLIMIT_DATA,
    not the address space, so reservations that are never written (CUDA maps tens of GB of address
    space at start-up) stay possible. Set from outside just after the start, not in the child before
    exec: that hook is unsafe in a threaded process."""
    try:
        import resource

        limit = limit_mb * 2**20
        resource.prlimit(pid, resource.RLIMIT_DATA, (limit, limit))
    except (ImportError, AttributeError, OSError, ValueError):
        pass  # no prlimit on this platform, or the process has already exited


def _stop_group(process: subprocess.Popen | WarmRun) -> None:
    for sig, grace_s in STOP_SIGNALS:
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=grace_s)
            break
        except subprocess.TimeoutExpired:
            continue
    try:
        os.killpg(process.pid, signal.SIGKILL)  # children the leader left behind
    except ProcessLookupError:
        pass
    try:
        process.wait(timeout=STOP_SIGNALS[-1][1])  # its status, so a warm server can take the next run
    except subprocess.TimeoutExpired:
        pass


def _read_progress(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _hung_case(progress: dict, root: Path, timeout_s: float) -> TestCase:
    frames = []
    for path, line, function in progress.get("frames", []):
        rel = repo_relative(path, root)
        if rel:
            frames.append(Frame(path=rel, line=line, function=function))
    return TestCase(
        id=progress["nodeid"], outcome="error", message=f"timed out after {timeout_s:g} s", frames=frames
    )


def _failed_session(tail: str, root: Path) -> TestCase | None:
    """A run that failed before any test (a conftest that does not import) as one error case."""
    frames = parse_frames(tail, root)
    if not frames:
        return None
    message = next((line for line in reversed(tail.splitlines()) if line.startswith("E ")), "")
    return TestCase(
        id=frames[-1].path, outcome="error", message=message[1:].strip(), traceback=tail, frames=frames
    )

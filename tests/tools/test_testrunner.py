"""run_tests on real tiny repositories: failures with frames, hangs, syntax errors, custom commands;
each test of a pytest run both ways, forked from the warm pytest and as a fresh process."""

from __future__ import annotations

import os
import shlex
import sys

import pytest
from tool_repos import write_files

from kog.tools.errors import TestCommandError
from kog.tools.testrunner import Frame, TestRun, prestart_tests, resolve_test_command, run_tests

PYTEST = f"{shlex.quote(sys.executable)} -m pytest"

pytestmark = pytest.mark.usefixtures("run_mode")  # each test both ways (conftest.py)

CALC = {
    "pkg/__init__.py": "",
    "pkg/mod.py": "from pkg.other import helper\n\n\ndef compute(x):\n    return helper(x) + 1\n",
    "pkg/other.py": "def helper(x):\n    if x > 1:\n        raise ValueError('too big')\n    return x\n",
    "tests/test_calc.py": (
        "import os\n"
        "import pytest\n"
        "from pkg.mod import compute\n\n\n"
        "class TestCompute:\n"
        "    @pytest.mark.parametrize('v', [1, 5])\n"
        "    def test_param(self, v):\n"
        "        assert compute(v) == v + 1\n\n\n"
        "def test_env_is_clean():\n"
        "    assert os.environ['PYTHONDONTWRITEBYTECODE'] == '1'\n"
        "    assert 'PYTHONSTARTUP' not in os.environ\n\n\n"
        "@pytest.mark.skip(reason='later')\n"
        "def test_skipped():\n"
        "    pass\n"
    ),
}


@pytest.fixture
def calc_repo(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONSTARTUP", "/nonexistent/startup.py")
    write_files(tmp_path, CALC)
    return tmp_path


def test_failing_test_has_frames_through_several_files(calc_repo):
    run = run_tests(calc_repo, PYTEST)
    outcomes = {case.id: case.outcome for case in run.cases}
    assert outcomes == {
        "tests/test_calc.py::TestCompute::test_param[1]": "passed",
        "tests/test_calc.py::TestCompute::test_param[5]": "failed",
        "tests/test_calc.py::test_env_is_clean": "passed",
        "tests/test_calc.py::test_skipped": "skipped",
    }
    assert run.failing_ids == ["tests/test_calc.py::TestCompute::test_param[5]"]
    assert run.returncode == 1 and not run.timed_out
    failed = run.failing[0]
    assert failed.message == "ValueError: too big"
    assert failed.frames == [
        Frame(path="tests/test_calc.py", line=9, function="test_param"),
        Frame(path="pkg/mod.py", line=5, function="compute"),
        Frame(path="pkg/other.py", line=3, function="helper"),
    ]
    assert TestRun.model_validate_json(run.model_dump_json()) == run


def test_selected_ids_only(calc_repo):
    run = run_tests(calc_repo, PYTEST, select=["tests/test_calc.py::TestCompute::test_param[1]"])
    assert [case.id for case in run.cases] == ["tests/test_calc.py::TestCompute::test_param[1]"]
    assert run.failing_ids == []


def test_hanging_test_is_killed_and_reported(tmp_path):
    write_files(
        tmp_path,
        {
            "tests/test_hang.py": (
                "import time\n\n\n"
                "def wait_forever():\n"
                "    time.sleep(600)\n\n\n"
                "def test_first():\n"
                "    assert True\n\n\n"
                "def test_hangs():\n"
                "    wait_forever()\n"
            )
        },
    )
    run = run_tests(tmp_path, PYTEST, timeout_s=10)  # room for a slow pytest start on a busy machine
    assert run.timed_out and run.returncode is None
    assert run.passed_ids == ["tests/test_hang.py::test_first"]
    (hung,) = run.failing
    assert hung.id == "tests/test_hang.py::test_hangs"
    assert hung.outcome == "error" and "timed out" in hung.message
    assert hung.frames == [
        Frame(path="tests/test_hang.py", line=13, function="test_hangs"),
        Frame(path="tests/test_hang.py", line=5, function="wait_forever"),
    ]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the memory cap uses Linux prlimit")
def test_a_test_that_allocates_without_end_fails_at_the_memory_cap(tmp_path):
    write_files(
        tmp_path,
        {
            "tests/test_greedy.py": (
                "def test_small():\n"
                "    assert len(bytearray(10 * 2**20)) > 0\n\n\n"
                "def test_runaway():\n"
                "    chunks = [bytearray(2**28) for _ in range(8)]  # 2 GiB: fits the machine, not the cap\n"
                "    assert chunks\n"
            )
        },
    )
    run = run_tests(tmp_path, PYTEST, memory_limit_mb=1024)
    assert run.passed_ids == ["tests/test_greedy.py::test_small"]
    (failed,) = run.failing
    assert failed.id == "tests/test_greedy.py::test_runaway" and "MemoryError" in failed.message


def test_syntax_error_in_repository_module_is_an_error_case(calc_repo):
    (calc_repo / "pkg/other.py").write_text("def helper(x):\n    return (x\n")
    write_files(calc_repo, {"tests/test_alone.py": "def test_alone():\n    assert True\n"})
    run = run_tests(calc_repo, PYTEST)
    assert run.passed_ids == ["tests/test_alone.py::test_alone"]
    (broken,) = run.failing
    assert broken.id == "tests/test_calc.py" and broken.outcome == "error"
    assert broken.frames[0] == Frame(path="tests/test_calc.py", line=3, function="<module>")
    assert broken.frames[-1].path == "pkg/other.py" and broken.frames[-1].line == 2


def test_broken_conftest_is_an_error_case(calc_repo):
    write_files(calc_repo, {"tests/conftest.py": "import no_such_module_here\n"})
    run = run_tests(calc_repo, PYTEST)
    (broken,) = run.cases
    assert broken.id == "tests/conftest.py" and broken.outcome == "error"
    assert "no_such_module_here" in broken.message
    assert broken.frames == [Frame(path="tests/conftest.py", line=1, function="<module>")]


def test_test_command_from_pyproject(calc_repo):
    (calc_repo / "pyproject.toml").write_text(f"[tool.kog-agent]\ntest-cmd = '{PYTEST} -k env_is_clean'\n")
    command = resolve_test_command(calc_repo)
    assert command == f"{PYTEST} -k env_is_clean"
    assert resolve_test_command(calc_repo, "make test") == "make test"
    run = run_tests(calc_repo, command)
    assert run.passed_ids == ["tests/test_calc.py::test_env_is_clean"] and run.failing_ids == []


def test_default_command_and_bad_pyproject(tmp_path):
    assert resolve_test_command(tmp_path) == PYTEST
    (tmp_path / "pyproject.toml").write_text("[tool.kog-agent]\ntest-cmd = 3\n")
    with pytest.raises(TestCommandError):
        resolve_test_command(tmp_path)


def test_non_pytest_command_may_write_junit(tmp_path):
    script = (
        "import os\n"
        'xml = \'<testsuite><testcase classname="suite" name="check" file="check.py">'
        '<failure message="boom">check.py:1: in check</failure></testcase></testsuite>\'\n'
        "open(os.environ['KOG_JUNIT_XML'], 'w').write(xml)\n"
        "raise SystemExit(1)\n"
    )
    write_files(tmp_path, {"check.py": script})
    run = run_tests(tmp_path, f"{shlex.quote(sys.executable)} check.py")
    assert run.failing_ids == ["check.py::check"] and run.returncode == 1
    assert run.failing[0].frames == [Frame(path="check.py", line=1, function="check")]


def test_missing_program_and_usage_error(calc_repo):
    with pytest.raises(TestCommandError):
        run_tests(calc_repo, "no-such-test-program-xyz")
    with pytest.raises(TestCommandError):
        run_tests(calc_repo, f"{PYTEST} --no-such-option")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="POSIX signal dispositions")
def test_hang_is_reported_when_sigint_is_ignored_by_the_parent(tmp_path):
    """A background job starts with SIGINT ignored and its children inherit that; the stop still works."""
    import signal

    write_files(
        tmp_path,
        {
            "tests/test_hang.py": "import time\n\n\ndef test_first():\n    pass\n\n\ndef test_hangs():\n    time.sleep(600)\n"
        },
    )
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        run = run_tests(tmp_path, PYTEST, timeout_s=10)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert run.timed_out
    assert run.passed_ids == ["tests/test_hang.py::test_first"]
    (hung,) = run.failing
    assert hung.id == "tests/test_hang.py::test_hangs" and "timed out" in hung.message


PARENT = {
    "tests/test_parent.py": "import os, random\n\n\ndef test_parent():\n    print('PARENT', os.getppid(), random.random())\n"
}


def parent_and_draw(run: TestRun) -> tuple[int, str]:
    line = next(line for line in run.output_tail.splitlines() if line.startswith("PARENT"))
    _, pid, draw = line.split()
    return int(pid), draw


def test_warm_runs_fork_one_server_and_draw_fresh_random_numbers(tmp_path, run_mode):
    from kog.tools import warm_pytest

    write_files(tmp_path, PARENT)
    runs = [run_tests(tmp_path, f"{PYTEST} -s") for _ in range(2)]
    assert all(run.passed_ids == ["tests/test_parent.py::test_parent"] for run in runs)
    (parent, first), (parent_again, second) = (parent_and_draw(run) for run in runs)
    servers = {server.process.pid for server in warm_pytest._SERVERS.values()}
    if run_mode == "warm":
        assert parent == parent_again and parent in servers
    else:
        assert parent == parent_again == os.getpid()
    assert first != second  # each run seeds its own random state, as a fresh interpreter does


def test_a_repository_that_shadows_a_loaded_module_runs_the_plain_way(tmp_path, monkeypatch, run_mode):
    from kog.tools import warm_pytest

    write_files(tmp_path, {**PARENT, "zz_kog_shadow.py": "", "tests/zz_kog_helper.py": ""})
    run_tests(tmp_path, PYTEST)  # starts the warm server
    for server in warm_pytest._SERVERS.values():
        monkeypatch.setattr(server, "_modules", server.ready() | {"zz_kog_helper"})
    run = run_tests(tmp_path, f"{PYTEST} -s")
    assert run.passed_ids == ["tests/test_parent.py::test_parent"]
    assert parent_and_draw(run)[0] == os.getpid()


def test_a_prestarted_server_is_the_one_the_first_run_forks(tmp_path, monkeypatch, run_mode):
    from kog.tools import warm_pytest

    monkeypatch.setenv("LC_KOG_PRESTART", str(tmp_path))  # an environment no server has yet
    write_files(tmp_path, PARENT)
    before = set(warm_pytest._SERVERS)
    prestart_tests(tmp_path, f"{PYTEST} -s")
    started = [server for key, server in warm_pytest._SERVERS.items() if key not in before]
    run = run_tests(tmp_path, f"{PYTEST} -s")
    if run_mode == "warm":
        assert len(started) == 1 and parent_and_draw(run)[0] == started[0].process.pid
        assert len(warm_pytest._SERVERS) == len(before) + 1  # the run started no second server
    else:
        assert started == [] and parent_and_draw(run)[0] == os.getpid()


def test_prestart_leaves_a_command_that_cannot_run_to_the_run(tmp_path):
    from kog.tools import warm_pytest

    (tmp_path / "pyproject.toml").write_text("[tool.kog-agent\n", encoding="utf-8")
    before = set(warm_pytest._SERVERS)
    prestart_tests(tmp_path, None)  # no error here: run_tests reports it
    prestart_tests(tmp_path, "'unterminated")
    assert set(warm_pytest._SERVERS) == before
    with pytest.raises(TestCommandError, match="cannot read"):
        resolve_test_command(tmp_path)


def test_shadowed_names_are_what_could_import_as_top_level_modules(tmp_path):
    from kog.tools.warm_pytest import shadowed

    files = ["alpha.py", "pkg/__init__.py", "pkg/beta.py", "pkg/tests/gamma.py", "tests/delta.py",
             ".venv/lib/eps.py", "node_modules/zeta.py", "env/pyvenv.cfg", "env/eta.py"]  # fmt: skip
    write_files(tmp_path, {name: "" for name in files})
    names = {"alpha", "pkg", "beta", "tests", "gamma", "delta", "eps", "zeta", "eta", "json"}
    assert shadowed(tmp_path, frozenset(names)) == ["alpha", "delta", "gamma", "pkg", "tests"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="POSIX signal dispositions")
def test_signal_dispositions_are_a_fresh_interpreters(tmp_path):
    test = (
        "import signal\n\n\n"
        "def test_dispositions():\n"
        "    assert signal.getsignal(signal.SIGPIPE) == signal.SIG_IGN\n"
        "    assert signal.getsignal(signal.SIGXFSZ) == signal.SIG_IGN\n"
        "    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL\n"
        "    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler\n"
    )
    write_files(tmp_path, {"tests/test_signals.py": test})
    run = run_tests(tmp_path, PYTEST)
    assert run.passed_ids == ["tests/test_signals.py::test_dispositions"], run.output_tail

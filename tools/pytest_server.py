"""A warm pytest: run by `kog.tools.warm_pytest` as ``<python> -c <this source>``, never imported.

It imports pytest and every installed plugin once (a quiet session over an empty folder, so that the
plugins' lazy imports and their assertion rewriting happen here), then reads one JSON request a line
from stdin and forks a child for each: the child puts the run's working folder, environment,
sys.path, memory cap and output file in place and runs pytest as ``python -m pytest`` would. Each
request gets two replies on stdout: ``{"pid": N}`` when the child exists and ``{"status": S}`` (its
exit status, negative for a signal) when it has ended. The first line is ``{"ready": true,
"modules": [...]}``: the top-level modules already imported, which a repository must not shadow.
Written for any Python 3.8+, since a repository's tests may run on another interpreter than ours.
"""

import json
import os
import signal
import sys
import tempfile

BASE_PATH = [p for p in sys.path if p not in ("", os.getcwd())]
sys.path[:] = BASE_PATH


def reply(message):
    sys.__stdout__.write(json.dumps(message) + "\n")
    sys.__stdout__.flush()


def warm_up():
    import pytest

    empty = tempfile.mkdtemp(prefix="kog-warm-pytest-")
    null = os.open(os.devnull, os.O_WRONLY)
    saved = os.dup(1), os.dup(2)
    os.dup2(null, 1)
    os.dup2(null, 2)
    try:
        pytest.main(["-q", "-p", "no:cacheprovider", empty])
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (null, *saved):
            os.close(fd)
        os.rmdir(empty)


def child(request):
    """Never returns: runs pytest in this forked process and exits with its status."""
    code = 70
    try:
        os.setpgid(0, 0)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # SIGPIPE and SIGXFSZ stay ignored, as Python has them
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if request["limit_mb"] > 0:
            import resource

            limit = request["limit_mb"] * 2**20
            resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        out = os.open(request["output"], os.O_WRONLY | os.O_APPEND)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        extra = [p for p in request["env"].get("PYTHONPATH", "").split(os.pathsep) if p]
        sys.path[:] = [request["cwd"], *extra, *BASE_PATH]  # as `python -m pytest` in cwd has it
        import random

        random.seed()  # a fresh interpreter's state, not the server's
        import pytest

        sys.argv = [os.path.join(os.path.dirname(pytest.__file__), "__main__.py"), *request["args"]]
        code = pytest.console_main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(int(code))


def main():
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the client stops runs and closes stdin to end us
    warm_up()
    reply({"ready": True, "modules": sorted({name.partition(".")[0] for name in sys.modules})})
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            child(request)
        try:
            os.setpgid(pid, pid)  # also here, so the group exists before the client can signal it
        except OSError:
            pass
        reply({"pid": pid})
        _, status = os.waitpid(pid, 0)
        reply({"status": -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)})


main()

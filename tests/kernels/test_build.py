"""The module bookkeeping of kernels/build.py (which rows a source is built for, what a pass used,
parallel builds), with CuPy and NVRTC replaced by stand-ins so it runs without a GPU."""

from __future__ import annotations

import contextlib
import threading
import time
import types

import pytest

import kog.kernels.build as build


def test_sources_without_rows_build_once():
    assert build.takes_rows("quant_q4_k.cu") and build.takes_rows("gemv.cu")
    assert not build.takes_rows("attention.cu") and not build.takes_rows("sampling.cu")
    assert build.module_key("attention.cu", 5) == ("attention.cu", 1)
    assert build.module_key("gemv.cu", 5) == ("gemv.cu", 5)
    with pytest.raises(ValueError, match="rows must be in"):
        build.module_key("gemv.cu", build.MAX_ROWS + 1)


class FakeModule:
    """Stands in for a cupy.RawModule: compiling takes a while and notes which threads did it at once."""

    running = 0
    most = 0
    lock = threading.Lock()

    def __init__(self, key, fail=False):
        self.key, self.fail, self.compiled = key, fail, 0

    def compile(self):
        with FakeModule.lock:
            FakeModule.running += 1
            FakeModule.most = max(FakeModule.most, FakeModule.running)
        time.sleep(0.05)
        with FakeModule.lock:
            FakeModule.running -= 1
        if self.fail:
            raise RuntimeError("NVRTC_ERROR_COMPILATION")
        self.compiled += 1


@pytest.fixture
def fake_nvrtc(monkeypatch):
    modules: dict[tuple[str, int], FakeModule] = {}

    def load(source, rows):
        key = (source, rows)
        return modules.setdefault(key, FakeModule(key, fail=source == "broken.cu"))

    devices = []
    cupy = types.SimpleNamespace(
        cuda=types.SimpleNamespace(
            runtime=types.SimpleNamespace(getDevice=lambda: 0),
            Device=lambda index: devices.append(index) or contextlib.nullcontext(),
        )
    )
    monkeypatch.setattr(build, "_load_module", load)
    monkeypatch.setattr(build, "import_cupy", lambda: cupy)
    monkeypatch.setattr(build, "takes_rows", lambda source: source != "attention.cu")
    monkeypatch.setattr(build, "_built", set())
    FakeModule.most = 0
    return types.SimpleNamespace(modules=modules, devices=devices)


def test_recording_collects_what_a_block_loads(fake_nvrtc):
    build.load_module("gemv.cu", 1)
    with build.recording() as used:
        build.load_module("gemv.cu", 1)  # loaded before: still recorded
        build.load_module("attention.cu", 3)
        with build.recording() as inner:
            build.load_module("quant_q6_k.cu", 2)
    build.load_module("quant_q8_0.cu", 1)
    assert used == {("gemv.cu", 1), ("attention.cu", 1), ("quant_q6_k.cu", 2)}
    assert inner == {("quant_q6_k.cu", 2)}


def test_prebuild_compiles_each_new_module_once_in_parallel(fake_nvrtc):
    seen = []
    wanted = [("quant_q4_k.cu", n) for n in range(1, 9)] + [("attention.cu", n) for n in range(1, 9)]
    built = build.prebuild(
        wanted, device=1, progress=lambda done, total: seen.append((done, total)), workers=4
    )
    assert built == 9  # attention.cu's eight keys are one module
    assert all(m.compiled == 1 for m in fake_nvrtc.modules.values()) and len(fake_nvrtc.modules) == 9
    assert FakeModule.most > 1  # threads overlapped
    assert set(fake_nvrtc.devices) == {1}
    assert seen[0] == (0, 9) and seen[-1] == (9, 9) and len(seen) == 10
    assert build.prebuild(wanted, device=1) == 0  # nothing left to build


def test_prebuild_threads_from_the_environment(fake_nvrtc, monkeypatch):
    monkeypatch.setenv("KOG_BUILD_THREADS", "1")
    build.prebuild([("gemv.cu", n) for n in range(1, 5)])
    assert FakeModule.most == 1


def test_prebuild_reports_a_failed_build(fake_nvrtc):
    with pytest.raises(build.KernelBuildError, match="building broken.cu for 2 rows failed: NVRTC_ERROR"):
        build.prebuild([("gemv.cu", 1), ("broken.cu", 2)], workers=2)
    assert build.prebuild([("gemv.cu", 1)]) == 0  # the good one was kept


@pytest.mark.parametrize("value", ["0", "-2", "many", "1.5"])
def test_a_bad_thread_count_is_one_clear_error(fake_nvrtc, monkeypatch, value):
    from kog.engine.errors import KogError

    monkeypatch.setenv("KOG_BUILD_THREADS", value)
    with pytest.raises(KogError, match="KOG_BUILD_THREADS must be a whole number of threads"):
        build.prebuild([("gemv.cu", 1), ("gemv.cu", 2)])

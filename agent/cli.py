"""The `kog-agent` command line: one parser, subcommands in their own modules, errors caught once here."""

from __future__ import annotations

import argparse
import importlib
import sys

from kog.engine.errors import KogError
from kog.tools.errors import ToolError

# Each module exposes add_parser(subparsers) and run(args) -> exit code.
COMMAND_MODULES = (
    "kog.agent.cmd_fix",
    "kog.agent.cmd_demo",
    "kog.agent.cmd_tui",
    "kog.agent.cmd_generate",
    "kog.agent.cmd_models",
    "kog.agent.cmd_bench",
    "kog.agent.cmd_train_mtp",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kog-agent", description="A local coding agent with its own low-latency decode engine."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue  # a command this build does not ship
            raise
        before = set(sub.choices)
        module.add_parser(sub)
        for added in set(sub.choices) - before:
            if sub.choices[added].get_default("run") is None:
                sub.choices[added].set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except (KogError, ToolError) as exc:
        print(f"kog-agent: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("kog-agent: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())

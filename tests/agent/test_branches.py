"""Branches of an unchanged reply (branches.py): where the model doubted, and the loop trying them."""

from __future__ import annotations

from conftest import git
from replies import DIAGNOSIS
from scripted_engine import ScoringScriptedEngine

from kog.agent.branches import MAX_MARGIN, branch_points
from kog.agent.events import EventBus
from kog.agent.loop import RepairRun, RunConfig
from kog.engine.api import Alternative, TokenScore

PAGING = "pager/paging.py"


def scored(pieces: list[tuple[str, list[tuple[str, float]]]]) -> list[TokenScore]:
    """A reply as (token text, [(alternative text, its log-probability)]) pieces; the chosen token's
    log-probability is 0. Token ids count up from 1, alternatives' from 1000."""
    out, next_alt = [], 1000
    for i, (text, alts) in enumerate(pieces):
        top = [Alternative(i + 1, text, 0.0)]
        for alt, logprob in alts:
            top.append(Alternative(next_alt, alt, logprob))
            next_alt += 1
        out.append(TokenScore(i + 1, text, 0.0, tuple(top)))
    return out


REPLY = [
    ("Here", [("```", -0.1)]),  # prose before the fence
    ("```", []),
    ("python\n", [("py\n", -0.1)]),
    ("def", [("from", -0.5)]),  # before the definition's name
    (" total(", []),
    ("items", [("things", -2.0)]),
    ("):\n", []),
    ('    """', [("    return", -0.2)]),  # the docstring's quotes
    ("Sum", [("Add", -0.1)]),  # inside the docstring
    ('."""\n', []),
    ("    # keep", [("    # drop", -0.1)]),  # a comment
    ("\n", []),
    ("    return", [("    if", -3.0), ("  return", -0.1)]),  # the second: whitespace alone
    (" sum", [(" len", -1.0), (" max", -(MAX_MARGIN + 1))]),  # the second: too unlikely
    ("(items)\n", []),
    ("```", [(" +", -0.1)]),  # the fence: the block has ended
    ("\nDone.", [("\nOK.", -0.1)]),
]


def test_branches_are_the_codes_closest_calls_first():
    branches = branch_points(scored(REPLY), limit=10)
    assert [b.describe for b in branches] == [
        "`sum` -> `len` in line 4",
        "`items` -> `things` in line 1",
        "`return` -> `if` in line 4",
    ]
    assert [b.margin for b in branches] == [1.0, 2.0, 3.0]
    first = branches[0]
    assert first.begun[:-1] == tuple(range(1, 14)) and first.begun[-1] >= 1000
    assert first.text == "".join(text for text, _ in REPLY[:13]) + " len"
    assert len(branch_points(scored(REPLY), limit=2)) == 2


def test_a_reply_without_a_fenced_block_has_no_branches():
    assert branch_points(scored([("def f(x):\n", []), ("    return", [("    if", -0.5)])]), 5) == []


def test_an_unchanged_reply_is_branched_where_the_model_doubted_and_the_branch_is_tested(example_repo):
    """The greedy reply copies page_count back; scored, its closest call is at the end of the return
    line (` + 1` against the newline): that branch, finished by the model, is the fix."""
    root = example_repo("pagination")
    source = (root / PAGING).read_text()
    start = source.index("def page_count(")
    end = source.index("\n\n\n", start)
    unchanged = f"```python\n{source[start:end].rstrip()}\n```"
    doubts = {
        "(total_items - 1) // per_page": (" + 1", 1.5),
        "Number of pages": (" of items", 0.1),  # in the docstring: no branch
        "if per_page <= 0": (" < 0", 2.5),
    }
    engine = ScoringScriptedEngine([DIAGNOSIS, unchanged, "\n```"], doubts)
    config = RunConfig(refactor=False, variants=0, suspects=1, retries=0, samples=0, branches=3)
    report = RepairRun(root, engine, EventBus(), config).run()

    assert report.status == "fixed"
    assert engine.scored == 1
    edits = [s for s in report.steps if s.kind == "edit"]
    assert edits[0].detail.endswith("the reply changes nothing")
    assert "branch `\\n` -> `+ 1` in line 10" in edits[1].detail
    (begun,) = engine.begun
    assert "".join(map(chr, begun[:-1])) == unchanged[: unchanged.index("// per_page") + len("// per_page")]
    assert engine.alternatives[begun[-1]] == " + 1"
    assert "return (total_items - 1) // per_page + 1\n" in (root / PAGING).read_text()
    assert git(root, "status", "--porcelain") == ""


def test_a_model_that_cannot_score_gets_no_branches(example_repo):
    from scripted_engine import ScriptedEngine

    root = example_repo("pagination")
    source = (root / PAGING).read_text()
    start = source.index("def page_count(")
    unchanged = f"```python\n{source[start : source.index(chr(10) * 3, start)].rstrip()}\n```"
    engine = ScriptedEngine([DIAGNOSIS, unchanged])
    config = RunConfig(refactor=False, variants=0, suspects=1, retries=0, samples=0, branches=3)
    report = RepairRun(root, engine, EventBus(), config).run()
    assert report.status == "not_fixed" and len(engine.calls) == 2

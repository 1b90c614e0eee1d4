"""Speculative decoding on tiny models: greedy identity with every drafter, KV rollback, adaptive k,
and the drafter names Engine.load accepts."""

from __future__ import annotations

import json
import random

import pytest
import torch
from spec_drafters import FlawedOracleDrafter, noisy_draft_drafter, random_heads
from tiny_model import TinyModel
from tokenizers import Tokenizer

from kog.engine import Engine, SamplingParams
from kog.engine.errors import InvalidSamplingError, ModelNotFoundError, UnsupportedModelError
from kog.engine.runner_torch import EXTRA_ROW_SHARE, PASS_COST_WEIGHT
from kog.engine.spec.draft_model import DraftModelDrafter, check_same_tokenizer
from kog.engine.spec.prompt_lookup import AdaptiveK, PromptLookupDrafter
from kog.engine.tokenizer import TextTokenizer
from kog.kernels.cpu import MAX_ROWS

pytestmark = pytest.mark.usefixtures("isolated_kog_home")

SNIPPETS = (
    "hello world, def print(self): return the",
    "def f(self, x):\n    return x * 2 + the_world\ndef f(self, x):\n    return",
    "the world in the world in the world in",
    "print(hello) print(hello) print(",
    "class A:\n    def run(self):\n        return self.x\n\n    def stop(self):",
    "a = 1\nb = 2\nc = 3\n",
    "return the hello; return the hello; return the",
    "def parse(s): pass  # parse the input string and return the tree",
    "",
    "x" * 40,
    "for i in range(10):\n    print(i)\nfor j in range(10):\n",
    "he said hello, she said hello, they said",
)
N_TOKENS = 40


def plain_outputs(model: TinyModel) -> dict[str, tuple[int, ...]]:
    engine = Engine.load(model.path, device="cpu", dtype="float32", draft="none")
    return {p: engine.generate(p, SamplingParams(max_tokens=N_TOKENS)).token_ids for p in SNIPPETS}


def drafted_engine(model: TinyModel, kind: str, tmp_path) -> Engine:
    engine = _drafted_engine(model, kind, tmp_path)
    # Drafts as the drafter asks: a tiny model's pass times are noise, and these tests need drafts.
    engine.runner.pass_cost = None
    return engine


def _drafted_engine(model: TinyModel, kind: str, tmp_path) -> Engine:
    if kind == "draft-self":
        return Engine.load(model.path, device="cpu", dtype="float32", draft=f"draft:{model.path}")
    if kind == "mtp-random":
        engine = Engine.load(model.path, device="cpu", dtype="float32", draft="none")
        random_heads(engine).save(tmp_path / "heads.safetensors")
        return Engine.load(
            model.path, device="cpu", dtype="float32", draft=f"mtp:{tmp_path}/heads.safetensors"
        )
    engine = Engine.load(model.path, device="cpu", dtype="float32", draft="prompt-lookup")
    if kind == "draft-noisy":
        engine.drafter = noisy_draft_drafter(engine, model.path)
    return engine


@pytest.mark.parametrize("kind", ["prompt-lookup", "draft-self", "draft-noisy", "mtp-random"])
def test_greedy_output_is_token_for_token_plain_greedy_with_every_drafter(tiny, kind, tmp_path):
    expected = plain_outputs(tiny)
    engine = drafted_engine(tiny, kind, tmp_path)
    drafted = accepted = 0
    for prompt in SNIPPETS:
        out = engine.generate(prompt, SamplingParams(max_tokens=N_TOKENS))
        assert out.token_ids == expected[prompt], prompt
        assert out.stats.generated_tokens == N_TOKENS
        drafted, accepted = drafted + out.stats.drafted, accepted + out.stats.accepted
    assert drafted > 0
    if kind == "draft-self":  # the same weights: every draft is the target's own argmax
        assert accepted == drafted
    if kind == "draft-noisy":  # partly right: both acceptance and rejection were exercised
        assert 0 < accepted < drafted


def test_rejected_drafts_roll_back_the_kv_cache_and_later_decoding_matches_a_fresh_run(tiny_qwen2):
    prompt, follow_up = SNIPPETS[1], "\n# and then\n"
    plain = Engine.load(tiny_qwen2.path, device="cpu", dtype="float32", draft="none")
    truth = plain.generate(prompt, SamplingParams(max_tokens=N_TOKENS))
    engine = Engine.load(tiny_qwen2.path, device="cpu", dtype="float32", draft="none")
    oracle = FlawedOracleDrafter(engine.encode(prompt) + list(truth.token_ids), engine.cfg.vocab_size)
    engine.drafter = oracle
    out = engine.generate(prompt, SamplingParams(max_tokens=N_TOKENS))
    assert out.token_ids == truth.token_ids
    assert 0 < out.stats.accepted < out.stats.drafted
    # Every kept position holds the KV a plain run wrote there; positions of rejected drafts are not kept.
    assert engine._cached == plain._cached
    n = len(plain._cached)
    for ours, theirs in (
        (engine.runner.cache.k, plain.runner.cache.k),
        (engine.runner.cache.v, plain.runner.cache.v),
    ):
        torch.testing.assert_close(ours[:, :, :n], theirs[:, :, :n], rtol=1e-4, atol=1e-4)
    # Continuing from the reused cache gives what a fresh engine gives from scratch.
    longer = prompt + truth.text + follow_up
    engine.drafter = PromptLookupDrafter()
    again = engine.generate(longer, SamplingParams(max_tokens=N_TOKENS))
    fresh = Engine.load(tiny_qwen2.path, device="cpu", dtype="float32", draft="none")
    assert again.stats.reused_tokens > len(engine.encode(prompt))
    assert again.token_ids == fresh.generate(longer, SamplingParams(max_tokens=N_TOKENS)).token_ids


def test_a_draft_model_rolls_its_own_cache_back_to_the_accepted_text(tiny_qwen2):
    engine = Engine.load(tiny_qwen2.path, device="cpu", dtype="float32", draft="none")
    used, fresh = noisy_draft_drafter(engine, tiny_qwen2.path), noisy_draft_drafter(engine, tiny_qwen2.path)
    ids = engine.encode(SNIPPETS[4])
    first = used.propose(ids, 6)
    # The target kept two drafts and chose another token: the draft cache holds four stale positions.
    context = [*ids, *first[:2], (first[2] + 5) % engine.cfg.vocab_size]
    assert used.propose(context, 5) == fresh.propose(context, 5)
    n = len(context) + 4
    torch.testing.assert_close(used.runner.cache.k[:, :, :n], fresh.runner.cache.k[:, :, :n])
    # A new, unrelated context shares nothing and is recomputed from its start.
    other = engine.encode(SNIPPETS[6])
    assert used.propose(other, 3) == noisy_draft_drafter(engine, tiny_qwen2.path).propose(other, 3)


def test_adaptive_k_grows_on_acceptance_shrinks_on_rejection_rests_and_resumes():
    k = AdaptiveK(k_min=1, k_max=8, k_start=4, patience=3, rest=5)
    assert k.step() == 4
    k.update(4, 4)
    assert k.step() == 6
    k.update(6, 6)
    k.update(8, 8)
    assert k.step() == 8  # capped at k_max
    k.update(1, 8)
    assert k.step() == 2  # one past what was accepted
    for _ in range(3):
        k.update(0, k.step())
    assert [k.step() for _ in range(5)] == [0] * 5  # resting: plain decoding
    assert k.step() == 1  # resumes at k_min
    k.update(1, 1)
    assert k.step() == 3
    k.update(0, 3)
    k.update(2, 2)  # a miss that is not part of a run of three does not start a rest
    assert k.step() == 3


def test_a_drafter_that_always_misses_costs_few_verify_passes(tiny_qwen2):
    engine = Engine.load(tiny_qwen2.path, device="cpu", dtype="float32", draft="none")
    prompt = SNIPPETS[0]
    truth = engine.generate(prompt, SamplingParams(max_tokens=80))
    engine.drafter = FlawedOracleDrafter(
        engine.encode(prompt) + list(truth.token_ids), engine.cfg.vocab_size, every=1
    )
    engine.runner.pass_cost = None  # drafts as the drafter asks, not weighed against measured passes
    out = engine.generate(prompt, SamplingParams(max_tokens=80))
    assert out.token_ids == truth.token_ids and out.stats.accepted == 0
    # Three misses (k 4, 1, 1), then 16 plain passes; again three misses at k 1 and a rest, and so on;
    # the pass that makes the 80th token drafts nothing (no room for a token after it).
    assert out.stats.forward_passes == 79
    assert out.stats.drafted == 4 + 1 + 1 + 3 * 4 - 1


def test_a_draft_model_with_another_vocabulary_is_refused(tiny_qwen2):
    target = Engine.load(tiny_qwen2.path, device="cpu", draft="none").tokenizer
    data = json.loads(target.tokenizer.to_str())
    vocab = data["model"]["vocab"]
    vocab["he"], vocab["ll"] = vocab["ll"], vocab["he"]
    other = TextTokenizer(Tokenizer.from_str(json.dumps(data)), target.bos_id, target.eos_ids, False)
    with pytest.raises(UnsupportedModelError, match="different tokenizer"):
        check_same_tokenizer(other, target, "other")
    check_same_tokenizer(target, target, "itself")


def test_draft_and_mtp_names_load_and_bad_ones_fail_with_one_clear_error(tiny_qwen2, tmp_path):
    path = tiny_qwen2.path
    assert isinstance(Engine.load(path, device="cpu", draft=f"draft:{path}").drafter, DraftModelDrafter)
    with pytest.raises(InvalidSamplingError, match="unknown drafter 'medusa'"):
        Engine.load(path, device="cpu", draft="medusa")
    with pytest.raises(ModelNotFoundError, match="no MTP heads at .*train-mtp"):
        Engine.load(path, device="cpu", draft="mtp")
    with pytest.raises(ModelNotFoundError):
        Engine.load(path, device="cpu", draft=f"draft:{tmp_path}/missing.gguf")
    engine = Engine.load(path, device="cpu", draft="none")
    heads = random_heads(engine)
    heads.weight = heads.weight[:, :8, :8]
    heads.save(tmp_path / "small.safetensors")
    with pytest.raises(UnsupportedModelError, match="hidden size 8"):
        Engine.load(path, device="cpu", draft=f"mtp:{tmp_path}/small.safetensors")


def rows_per_pass(model: TinyModel, configure, k_max: int = 8, every: int = 2) -> list[int]:
    """Generates with an oracle drafter (k up to k_max, every `every`-th proposal flawed) after
    `configure(engine)`; checks the output is plain greedy and returns the rows of every verification
    pass."""
    prompt = SNIPPETS[1]
    truth = Engine.load(model.path, device="cpu", dtype="float32", draft="none").generate(
        prompt, SamplingParams(max_tokens=N_TOKENS)
    )
    engine = Engine.load(model.path, device="cpu", dtype="float32", draft="none")
    rows = []
    forward = engine.runner.forward
    engine.runner.forward = lambda ids, start, last_only=False: (
        rows.append(ids.numel()) or forward(ids, start, last_only)
    )
    configure(engine)
    engine.drafter = FlawedOracleDrafter(
        engine.encode(prompt) + list(truth.token_ids), engine.cfg.vocab_size, every=every, k_max=k_max
    )
    out = engine.generate(prompt, SamplingParams(max_tokens=N_TOKENS))
    assert out.token_ids == truth.token_ids and out.stats.drafted > 0
    return rows[1:]  # rows[0] is the prompt's prefill


def test_drafts_per_pass_stay_within_the_runners_rows(tiny_qwen2):
    """A runner that verifies at most `max_rows` tokens a pass (the CUDA runner's graphs) is never asked
    for more: the last token plus at most max_rows - 1 drafts, and the output is still plain greedy."""

    def two_drafts(engine):
        engine._max_drafts = 2

    assert max(rows_per_pass(tiny_qwen2, two_drafts)) == 3


def test_cpu_passes_stay_within_the_compiled_kernels_rows(tiny_qwen2):
    """Past the compiled kernel's rows a pass runs the prefill path (several of its longest passes'
    time on a CPU), so drafts stop at its rows even when the drafter would propose more."""
    engine = Engine.load(tiny_qwen2.path, device="cpu", dtype="float32", draft="none")
    if not hasattr(engine.runner, "max_rows"):
        pytest.skip("the compiled CPU kernel cannot be built here")
    assert engine.runner.max_rows == MAX_ROWS and engine._max_drafts == MAX_ROWS - 1

    def free_drafts(engine):  # every pass costs the same: as many drafts as allowed
        engine.runner.pass_cost = [1.0] * MAX_ROWS

    # An oracle that is always right and would draft up to 12.
    assert max(rows_per_pass(tiny_qwen2, free_drafts, k_max=12, every=10**6)) == MAX_ROWS


def test_the_cpu_runner_keeps_its_pass_costs_current(tiny_qwen2):
    engine = Engine.load(tiny_qwen2.path, device="cpu", dtype="float32", draft="none")
    runner = engine.runner
    if not hasattr(runner, "max_rows"):
        pytest.skip("the compiled CPU kernel cannot be built here")
    assert runner.pass_cost is None
    runner.forward(torch.tensor([5, 6, 7]), 0)  # no single-row time yet: nothing to guess from
    assert runner.pass_cost is None
    runner.forward(torch.tensor([8]), 3)
    costs = runner.pass_cost
    one, three = costs[0], costs[2]
    assert len(costs) == MAX_ROWS and one > 0 and three > 0
    assert costs[1] == pytest.approx(one * (1 + EXTRA_ROW_SHARE))  # not run: guessed from one row
    assert costs[7] == pytest.approx(one * (1 + 7 * EXTRA_ROW_SHARE))
    runner._time_pass(3, three + 1.0)
    assert runner.pass_cost is costs  # updated in place: a planner holding the list sees it
    assert costs[2] == pytest.approx(three + PASS_COST_WEIGHT * 1.0)
    runner.forward(torch.tensor([1, 2, 3, 4, 5, 6, 7, 8, 9]), 0)  # past the kernel's rows: not timed
    runner.forward(torch.tensor([1, 2]), 9, last_only=True)  # a prompt's last rows: not timed
    assert costs[1] == pytest.approx(one * (1 + EXTRA_ROW_SHARE)) and len(costs) == MAX_ROWS
    fixed = [1.0] * MAX_ROWS
    runner.pass_cost = fixed  # a table set from outside stays
    runner.forward(torch.tensor([8]), 3)
    assert runner.pass_cost is fixed and fixed == [1.0] * MAX_ROWS


def test_setting_a_drafter_prepares_a_runner_that_can_be_prepared(tiny_qwen2):
    engine = Engine.load(tiny_qwen2.path, device="cpu", dtype="float32", draft="none")
    engine.generate(SNIPPETS[0], SamplingParams(max_tokens=4))
    prepared = []
    engine.runner.prepare = lambda progress=None: prepared.append(progress)
    engine._acceptance.observe(0, 5)
    engine.set_drafter("none")
    assert engine.drafter is None and not prepared and engine._cached
    assert engine._acceptance.value == pytest.approx(engine._acceptance.prior)  # a new drafter starts afresh
    shown = []
    engine.set_drafter("prompt-lookup", lambda stage, done, total: shown.append(stage))
    assert isinstance(engine.drafter, PromptLookupDrafter) and len(prepared) == 1 and prepared[0] is not None
    assert engine._cached == []  # preparing ran passes over the cache, so nothing in it is reused


def test_drafts_are_cut_where_a_longer_pass_costs_more_than_it_yields(tiny_qwen2):
    """With the runner's measured pass costs, a pass of more rows is only asked for when the expected
    accepted tokens pay for it; the output stays plain greedy."""

    def steep_costs(engine):
        engine.runner.pass_cost = [1.0, 1.1, 1.2, 10.0, 10.0, 10.0, 10.0, 10.0]  # 4+ rows: ten steps' time

    assert max(rows_per_pass(tiny_qwen2, steep_costs)) == 3


def test_drafts_that_never_pay_give_way_to_plain_steps(tiny_qwen2):
    """A drafter that is always wrong, on a runner whose second row costs half a step more: once the
    acceptance estimate falls below what the row costs, passes go plain (drafting is only probed again
    now and then), and the output stays plain greedy."""
    prompt = SNIPPETS[1]
    truth = Engine.load(tiny_qwen2.path, device="cpu", dtype="float32", draft="none").generate(
        prompt, SamplingParams(max_tokens=N_TOKENS)
    )
    multi_row = {}
    for costs in (None, [1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5]):
        engine = Engine.load(tiny_qwen2.path, device="cpu", dtype="float32", draft="none")
        rows = []
        forward = engine.runner.forward
        engine.runner.forward = lambda ids, start, last_only=False, f=forward, seen=rows: (
            seen.append(ids.numel()) or f(ids, start, last_only)
        )
        engine.runner.pass_cost = costs
        engine.drafter = FlawedOracleDrafter(
            engine.encode(prompt) + list(truth.token_ids), engine.cfg.vocab_size, every=1
        )
        out = engine.generate(prompt, SamplingParams(max_tokens=N_TOKENS))
        assert out.token_ids == truth.token_ids and out.stats.accepted == 0
        multi_row[costs is None] = sum(r > 1 for r in rows[1:])
    assert multi_row[False] < multi_row[True]


def scan_proposal(tokens: list[int], k: int, max_ngram: int = 4) -> list[int]:
    """What prompt lookup proposes, by brute force: after the latest earlier match of the longest tail."""
    for n in range(min(max_ngram, len(tokens) - 1), 0, -1):
        tail = tokens[-n:]
        for start in range(len(tokens) - n - 1, -1, -1):
            if tokens[start : start + n] == tail:
                return tokens[start + n : start + n + k]
    return []


def test_prompt_lookup_index_proposes_what_a_scan_of_the_context_would():
    rng = random.Random(3)
    for _ in range(200):
        vocab = rng.choice([2, 5, 40])
        tokens = [rng.randrange(vocab) for _ in range(rng.randrange(1, 30))]
        drafter = PromptLookupDrafter()
        for _ in range(30):
            k = rng.randrange(0, 6)
            assert drafter.propose(tokens, k) == (scan_proposal(tokens, k) if k else [])
            tokens.append(rng.randrange(vocab))
        other = tokens[:5] + [vocab]  # not an extension of what was indexed: the index starts afresh
        assert drafter.propose(other, 3) == scan_proposal(other, 3)

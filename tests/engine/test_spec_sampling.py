"""With temperature > 0, drafting must leave the output distribution exactly the target model's:
chi-square tests of the rejection rule alone, and of whole sampled generations on a tiny model."""

from __future__ import annotations

from collections import Counter

import pytest
import torch
from spec_drafters import noisy_draft_drafter, random_heads

from kog.engine import Engine, SamplingParams
from kog.engine.sampling import filtered_probs
from kog.engine.spec.verify import verify

pytestmark = pytest.mark.usefixtures("isolated_kog_home")


def chi_square_p(counts: dict, expected: dict, n: int) -> float:
    """p-value of observed counts against expected probabilities; cells expecting < 5 are pooled."""
    stat, cells, pooled_obs, pooled_exp = 0.0, 0, 0.0, 0.0
    for cell, prob in expected.items():
        if prob * n >= 5:
            stat += (counts.get(cell, 0) - prob * n) ** 2 / (prob * n)
            cells += 1
        else:
            pooled_obs, pooled_exp = pooled_obs + counts.get(cell, 0), pooled_exp + prob * n
    pooled_obs += sum(c for cell, c in counts.items() if cell not in expected)
    if pooled_exp > 0:
        stat += (pooled_obs - pooled_exp) ** 2 / pooled_exp
        cells += 1
    elif pooled_obs:
        return 0.0  # something came out that the target never produces
    df = torch.tensor((cells - 1) / 2, dtype=torch.float64)
    return float(torch.special.gammaincc(df, torch.tensor(stat / 2, dtype=torch.float64)))


PARAMS = (
    SamplingParams(temperature=1.0),
    SamplingParams(temperature=0.7, top_k=4),
    SamplingParams(temperature=1.3, top_p=0.8),
)


@pytest.mark.parametrize("params", PARAMS, ids=["t1", "t0.7-topk4", "t1.3-topp0.8"])
@pytest.mark.parametrize("stochastic", [False, True], ids=["one-hot-q", "sampled-q"])
def test_the_rejection_rule_keeps_the_target_distribution_at_each_position(params, stochastic):
    gen = torch.Generator().manual_seed(1)
    logits = torch.randn(3, 8, generator=gen) * 1.5  # [k+1, vocab]: target at positions 0..2
    q = torch.softmax(torch.randn(2, 8, generator=gen) * 1.5, dim=-1)  # the drafter's own distribution
    p = filtered_probs(logits, params)
    n, first, second = 10000, Counter(), Counter()
    for _ in range(n):
        if stochastic:
            drafts = [int(torch.multinomial(q[i], 1, generator=gen)) for i in range(2)]
        else:
            drafts = [int(torch.argsort(p[0])[-2]), 3]  # a plausible token, then a fixed one
        accepted, following = verify(logits, drafts, params, gen, q if stochastic else None)
        out = [*drafts[:accepted], following]
        first[out[0]] += 1
        if accepted >= 1:  # the second token came from this pass too, given the first draft
            second[(drafts[0], out[1])] += 1
    assert chi_square_p(first, dict(enumerate(p[0].tolist())), n) > 1e-3
    for d0 in {d for d, _ in second}:
        given = {t: c for (d, t), c in second.items() if d == d0}
        assert chi_square_p(given, dict(enumerate(p[1].tolist())), sum(given.values())) > 1e-3
    # The same counts are far from the drafter's q: the test can tell distributions apart.
    assert chi_square_p(first, dict(enumerate(q[0].tolist())), n) < 1e-6


def exact_joint(engine: Engine, prompt_ids: list[int], params: SamplingParams, length: int) -> dict:
    """P(x1..x_length) of the target, enumerating every sequence its filtered distributions allow."""
    joint = {(): 1.0}
    for _ in range(length):
        grown = {}
        for seq, prob in joint.items():
            probs = filtered_probs(engine.runner.forward(torch.tensor(prompt_ids + list(seq)), 0)[-1], params)
            for token in torch.nonzero(probs).flatten().tolist():
                grown[(*seq, token)] = prob * float(probs[token])
        joint = grown
    return joint


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["prompt-lookup", "draft-noisy", "mtp-random"])
def test_sampled_generations_with_drafts_follow_the_target_distribution(tiny_qwen2, kind, tmp_path):
    prompt = "the world in the world in the world in the"
    params = dict(max_tokens=4, temperature=1.0, top_k=3)
    target = Engine.load(tiny_qwen2.path, device="cpu", dtype="float32", draft="none")
    engine = Engine.load(tiny_qwen2.path, device="cpu", dtype="float32", draft="prompt-lookup")
    if kind == "draft-noisy":
        engine.drafter = noisy_draft_drafter(engine, tiny_qwen2.path, noise=0.5)
    if kind == "mtp-random":
        random_heads(target, scale=0.05).save(tmp_path / "heads.safetensors")
        engine = Engine.load(
            tiny_qwen2.path, device="cpu", dtype="float32", draft=f"mtp:{tmp_path}/heads.safetensors"
        )
    # Drafts as the drafter asks: weighed against timed passes, a slow or busy machine drafts too
    # rarely for the counts below to mean anything (or to include an accepted draft at all).
    engine.runner.pass_cost = None
    n, counts, drafted, accepted = 3000, Counter(), 0, 0
    for seed in range(n):
        out = engine.generate(prompt, SamplingParams(seed=seed, **params))
        counts[out.token_ids] += 1
        drafted, accepted = drafted + out.stats.drafted, accepted + out.stats.accepted
    assert 0 < accepted < drafted  # drafts were both accepted and rejected along the way
    expected = exact_joint(target, target.encode(prompt), SamplingParams(**params), 4)
    assert chi_square_p(counts, expected, n) > 1e-3
    # Power check: the same counts against a nearby wrong distribution (temperature 1.5) fail.
    wrong = exact_joint(target, target.encode(prompt), SamplingParams(**(params | {"temperature": 1.5})), 3)
    assert chi_square_p(counts, wrong, n) < 1e-4
    assert set(counts) <= set(expected) and len(counts) > 5

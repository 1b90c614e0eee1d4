"""Sampling on hand-made logits: temperature, top-k, top-p, greedy, and draws that follow the distribution."""

from __future__ import annotations

import math

import pytest
import torch

from kog.engine.api import SamplingParams
from kog.engine.errors import InvalidSamplingError
from kog.engine.sampling import filtered_probs, make_generator, sample

# Probabilities 0.40, 0.25, 0.15, 0.10, 0.06, 0.04 spread over a shuffled vocabulary of 6.
PROBS = torch.tensor([0.10, 0.40, 0.04, 0.15, 0.25, 0.06])
LOGITS = PROBS.log() + 3.0  # a constant shift changes nothing


def params(**fields) -> SamplingParams:
    return SamplingParams(**({"temperature": 1.0} | fields))


def test_temperature_one_without_cuts_is_the_softmax():
    torch.testing.assert_close(filtered_probs(LOGITS, params()), PROBS)


@pytest.mark.parametrize("temperature", [0.25, 0.7, 2.0, 10.0])
def test_temperature_divides_the_logits(temperature):
    expected = PROBS ** (1 / temperature)
    torch.testing.assert_close(
        filtered_probs(LOGITS, params(temperature=temperature)), expected / expected.sum()
    )


def test_low_temperature_sharpens_and_high_temperature_flattens():
    cold = filtered_probs(LOGITS, params(temperature=0.3))
    hot = filtered_probs(LOGITS, params(temperature=5.0))
    assert cold.max() > PROBS.max() > hot.max()
    assert cold.argmax() == hot.argmax() == 1


@pytest.mark.parametrize("k, kept", [(1, [1]), (2, [1, 4]), (3, [1, 4, 3]), (5, [1, 4, 3, 0, 5])])
def test_top_k_keeps_the_k_most_likely_renormalised(k, kept):
    probs = filtered_probs(LOGITS, params(top_k=k))
    outside = [i for i in range(6) if i not in kept]
    assert probs[outside].sum() == 0.0
    torch.testing.assert_close(probs[kept], PROBS[kept] / PROBS[kept].sum())


def test_top_k_of_the_vocabulary_size_or_more_cuts_nothing():
    for k in (6, 100):
        torch.testing.assert_close(filtered_probs(LOGITS, params(top_k=k)), PROBS)


@pytest.mark.parametrize(
    "top_p, kept",
    [
        (0.3, [1]),
        (0.5, [1, 4]),
        (0.6, [1, 4]),
        (0.66, [1, 4, 3]),
        (0.85, [1, 4, 3, 0]),
        (0.95, [1, 4, 3, 0, 5]),
    ],
)
def test_top_p_keeps_the_smallest_set_reaching_the_mass(top_p, kept):
    probs = filtered_probs(LOGITS, params(top_p=top_p))
    outside = [i for i in range(6) if i not in kept]
    assert probs[outside].sum() == 0.0
    torch.testing.assert_close(probs[kept], PROBS[kept] / PROBS[kept].sum())
    assert probs.sum().item() == pytest.approx(1.0, abs=1e-6)


def test_top_k_then_top_p_then_temperature_combine():
    # top_k=4 leaves 0.40/0.90, 0.25/0.90, 0.15/0.90, 0.10/0.90; top_p=0.8 then keeps the first three.
    probs = filtered_probs(LOGITS, params(top_k=4, top_p=0.8))
    kept = [1, 4, 3]
    assert probs[[0, 2, 5]].sum() == 0.0
    torch.testing.assert_close(probs[kept], PROBS[kept] / PROBS[kept].sum())
    hot = filtered_probs(LOGITS, params(top_k=2, temperature=2.0))
    root = PROBS[[1, 4]].sqrt()
    torch.testing.assert_close(hot[[1, 4]], root / root.sum())


def test_rows_of_a_batch_are_filtered_independently():
    batch = torch.stack([LOGITS, LOGITS.flip(0)])
    probs = filtered_probs(batch, params(top_k=2))
    torch.testing.assert_close(probs[0], filtered_probs(LOGITS, params(top_k=2)))
    torch.testing.assert_close(probs[1], filtered_probs(LOGITS.flip(0), params(top_k=2)))


def test_greedy_takes_the_argmax_whatever_the_cuts():
    assert sample(LOGITS, SamplingParams(temperature=0.0, top_k=3, top_p=0.2, seed=1), None) == 1
    assert sample(-LOGITS, SamplingParams(), None) == 2


def test_draws_follow_the_filtered_distribution():
    vocab = 12
    logits = torch.linspace(-2.0, 2.0, vocab)[
        torch.randperm(vocab, generator=torch.Generator().manual_seed(0))
    ]
    p = params(temperature=0.8, top_k=9, top_p=0.9)
    expected = filtered_probs(logits, p)
    gen = make_generator(1234)
    n = 6000
    counts = torch.bincount(torch.tensor([sample(logits, p, gen) for _ in range(n)]), minlength=vocab).float()
    assert counts[expected == 0].sum() == 0  # nothing outside the kept set is ever drawn
    kept = expected > 0
    chi2 = (((counts[kept] - n * expected[kept]) ** 2) / (n * expected[kept])).sum().item()
    dof = int(kept.sum()) - 1
    # The 99.9% quantile of chi-square is below dof + 4.5 * sqrt(2 * dof) + 4 for these small dof.
    assert chi2 < dof + 4.5 * math.sqrt(2 * dof) + 4, (chi2, counts, expected)


def test_a_seeded_generator_repeats_its_draws():
    p = params(temperature=1.5)
    gen_a, gen_b = make_generator(5), make_generator(5)
    draws_a = [sample(LOGITS, p, gen_a) for _ in range(50)]
    draws_b = [sample(LOGITS, p, gen_b) for _ in range(50)]
    assert draws_a == draws_b and len(set(draws_a)) > 2
    gen_c = make_generator(6)
    assert [sample(LOGITS, p, gen_c) for _ in range(50)] != draws_a


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"temperature": -1.0}, "temperature"),
        ({"temperature": 101.0}, "temperature"),
        ({"top_p": 0.0}, "top_p"),
        ({"top_p": 1.5}, "top_p"),
        ({"top_k": -1}, "top_k"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"stop": ("ok", "")}, "stop"),
    ],
)
def test_values_out_of_range_are_refused(fields, message):
    with pytest.raises(InvalidSamplingError, match=message):
        SamplingParams(**fields)


def test_a_single_stop_string_becomes_a_tuple():
    assert SamplingParams(stop="\n\n").stop == ("\n\n",)
    assert SamplingParams().greedy and not params().greedy

"""The draft-length choice against measured pass costs, and the running acceptance estimate."""

from __future__ import annotations

import pytest

from kog.engine.spec.cost import AcceptanceEstimate, DraftPlanner, best_draft_count, expected_tokens
from kog.engine.spec.prompt_lookup import PromptLookupDrafter


def test_expected_tokens_is_a_geometric_sum():
    assert expected_tokens(0, 0.9) == 1.0
    assert expected_tokens(3, 0.5) == pytest.approx(1 + 0.5 + 0.25 + 0.125)
    assert expected_tokens(7, 1.0) == 8.0


def test_flat_costs_take_the_longest_draft_and_steep_ones_a_shorter_one():
    flat = [1.0, 1.02, 1.04, 1.06, 1.08, 1.1, 1.12, 1.14]
    assert best_draft_count(7, 0.9, flat) == 7
    # Costs of 1.5B passes over stored blocks (ms for 1..8 rows, H100): the optimum is 3-4 drafts.
    steep = [1.255, 1.645, 2.314, 2.751, 3.333, 3.959, 4.970, 7.124]
    assert best_draft_count(7, 0.9, steep) in (3, 4)
    # A second row costs 31% more there: drafts accepted less often than that are not worth a pass.
    assert best_draft_count(7, 0.35, steep) == 1
    assert best_draft_count(7, 0.25, steep) == 0
    assert best_draft_count(7, 0.0, flat) == 0


def test_limits_and_missing_costs():
    assert best_draft_count(0, 0.9, [1.0, 1.0]) == 0
    assert best_draft_count(5, 0.9, None) == 5
    assert best_draft_count(5, 0.9, [1.0, 1.0, 1.0]) == 2  # no cost known past three rows


def test_acceptance_estimate_follows_recent_passes():
    est = AcceptanceEstimate(prior=0.7)
    assert est.value == pytest.approx(0.7)
    for _ in range(20):
        est.observe(7, 7)
    assert est.value > 0.95
    for _ in range(20):
        est.observe(0, 4)
    assert est.value < 0.1
    est.observe(3, 0)  # nothing drafted: no evidence
    low = est.value
    for _ in range(10):
        est.idle()
    assert low < est.value < 0.7  # idle passes drift back toward the prior, slowly
    for _ in range(300):
        est.idle()
    assert est.value == pytest.approx(0.7, abs=0.01)
    est.reset()
    assert est.value == pytest.approx(0.7)


def test_the_planner_drafts_what_pays_and_learns_from_each_pass():
    steep = [1.255, 1.645, 2.314, 2.751, 3.333, 3.959, 4.970, 7.124]
    context = [5, 6, 7, 8, 9, 1, 2, 3, 5, 6, 7]  # "5 6 7" came before, followed by 8 9 1 2
    planner = DraftPlanner(PromptLookupDrafter(), steep, max_drafts=7)
    assert planner.drafts(context, room=100) == [8]  # at the 0.7 prior one draft pays for its row
    for _ in range(5):
        planner.observe(1, 1)  # accepted: the estimate and the drafter's length grow
    assert planner.drafts(context, room=100) == [8, 9, 1]
    assert planner.drafts(context, room=2) == [8]  # no more than the tokens left to make, less one
    assert planner.drafts(context, room=1) == []
    low = AcceptanceEstimate()
    for _ in range(6):
        low.observe(0, 3)
    before = low.value
    doubtful = DraftPlanner(PromptLookupDrafter(), steep, max_drafts=7, acceptance=low)
    assert doubtful.drafts(context, room=100) == []  # drafts accepted this rarely do not pay
    assert doubtful.acceptance is low and before < low.value  # the idle pass drifts it toward the prior

import pytest

from kog.agent.budget import Budget
from kog.agent.errors import BudgetExhausted


def test_steps_run_out_after_max_steps():
    budget = Budget(max_steps=2)
    budget.take_step()
    budget.take_step()
    with pytest.raises(BudgetExhausted, match="step budget of 2"):
        budget.take_step()


def test_tokens_run_out():
    budget = Budget(max_tokens=100)
    budget.add_tokens(60)
    assert budget.tokens_left == 40
    with pytest.raises(BudgetExhausted, match="token"):
        budget.add_tokens(40)


def test_time_runs_out():
    budget = Budget(max_time_s=0.0)
    with pytest.raises(BudgetExhausted, match="time"):
        budget.check()

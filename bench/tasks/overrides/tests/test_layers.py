import copy

import pytest

from layercfg import ConfigStack, deep_merge, from_env, get_path

DEFAULTS = {"debug": False, "db": {"host": "localhost", "port": 5432}, "workers": 2}


def test_override_wins_and_nested_values_merge():
    merged = deep_merge(copy.deepcopy(DEFAULTS), {"db": {"port": 6543}, "workers": 8})
    assert merged == {"debug": False, "db": {"host": "localhost", "port": 6543}, "workers": 8}


def test_merge_leaves_the_base_untouched():
    base = copy.deepcopy(DEFAULTS)
    merged = deep_merge(base, {"debug": True, "db": {"port": 6543}})
    assert merged["debug"] is True
    assert base == DEFAULTS


def test_environment_variables_become_nested_settings():
    env = {"APP__DB__PORT": "6000", "APP__DEBUG": "true", "HOME": "/root"}
    assert from_env(env, "APP") == {"db": {"port": 6000}, "debug": True}


def test_dotted_lookup_with_default():
    assert get_path(DEFAULTS, "db.host") == "localhost"
    assert get_path(DEFAULTS, "db.user", "postgres") == "postgres"
    with pytest.raises(KeyError):
        get_path(DEFAULTS, "cache.size")


def test_stack_resolves_layers_in_order():
    stack = ConfigStack()
    stack.add_layer("defaults", copy.deepcopy(DEFAULTS))
    stack.add_layer("production", {"db": {"host": "db.internal"}, "workers": 16})
    assert stack.get("db.host") == "db.internal"
    assert stack.get("db.port") == 5432
    assert stack.get("workers") == 16


def test_removing_a_layer_restores_lower_values():
    stack = ConfigStack()
    stack.add_layer("defaults", copy.deepcopy(DEFAULTS))
    stack.add_layer("production", {"db": {"host": "db.internal"}})
    assert stack.get("db.host") == "db.internal"
    stack.remove_layer("production")
    assert stack.get("db.host") == "localhost"


def test_layer_names_bottom_first():
    stack = ConfigStack()
    stack.add_layer("defaults", {})
    stack.add_layer("local", {})
    stack.add_layer("defaults", {"x": 1})
    assert stack.names == ["defaults", "local"]

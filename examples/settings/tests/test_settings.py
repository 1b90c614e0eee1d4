import pytest

from envsettings import Settings, SettingsError

ENV = {"APP_PORT": "8080", "APP_DEBUG": "Yes", "APP_WORKERS": "four", "APP_COLOR": "maybe"}


@pytest.fixture
def settings():
    return Settings(ENV, prefix="APP_")


def test_integer_setting(settings):
    assert settings.get_int("PORT") == 8080


def test_missing_integer_uses_default(settings):
    assert settings.get_int("TIMEOUT", default=30) == 30


def test_missing_setting_without_default(settings):
    with pytest.raises(SettingsError, match="missing setting APP_TIMEOUT"):
        settings.get_int("TIMEOUT")


def test_malformed_integer_is_a_settings_error(settings):
    with pytest.raises(SettingsError, match="APP_WORKERS must be an integer"):
        settings.get_int("WORKERS")


def test_boolean_words(settings):
    assert settings.get_bool("DEBUG") is True
    assert settings.get_bool("VERBOSE", default=False) is False


def test_malformed_boolean_is_a_settings_error(settings):
    with pytest.raises(SettingsError, match="APP_COLOR must be a yes/no value"):
        settings.get_bool("COLOR")

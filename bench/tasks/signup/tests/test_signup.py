from formcheck import check_email, check_password, check_username, validate_signup

GOOD = {"username": "Ada_L", "email": "ada@example.org", "password": "engine1843x", "age": "36"}


def test_ordinary_usernames_are_accepted():
    assert check_username("ada_lovelace") == []
    assert check_username("b42") == []


def test_short_or_reserved_usernames_are_rejected():
    assert check_username("ab") != []
    assert check_username("admin") == ["username 'admin' is reserved"]


def test_username_with_space_is_rejected():
    assert check_username("ada lovelace") != []


def test_username_longer_than_twenty_is_rejected():
    assert check_username("a" * 21) != []


def test_email_addresses():
    assert check_email("ada@math.example.org") == []
    assert check_email("ada@localhost") == ["email address is not valid"]
    assert check_email("ada@@example.org") == ["email address is not valid"]


def test_password_rules():
    assert check_password("short1") == ["password must be at least 10 characters"]
    assert check_password("lovelace1843", username="lovelace") == ["password must not contain the username"]


def test_valid_form_has_no_errors():
    assert validate_signup(GOOD) == {}


def test_form_reports_each_bad_field():
    form = dict(GOOD, username="ada!", email="", age="9")
    assert validate_signup(form) == {
        "username": ["username must be 3-20 lowercase letters, digits or underscores, starting with a letter"],
        "email": ["email is required"],
        "age": ["you must be at least 13 years old"],
    }

"""Single-field checks. Each returns a list of problems; an empty list means valid."""

from __future__ import annotations

import re

USERNAME_RE = re.compile(r"[a-z][a-z0-9_]{2,19}")
EMAIL_RE = re.compile(r"[^@\s]+@([a-z0-9-]+\.)+[a-z]{2,}", re.IGNORECASE)
RESERVED_NAMES = frozenset({"admin", "root", "support", "system"})


def check_username(name: str) -> list[str]:
    """Usernames are 3-20 characters: a lowercase letter, then lowercase letters, digits or "_".

    A few names are reserved for staff accounts.
    """
    if not USERNAME_RE.match(name):
        return ["username must be 3-20 lowercase letters, digits or underscores, starting with a letter"]
    if name in RESERVED_NAMES:
        return [f"username {name!r} is reserved"]
    return []


def check_email(address: str) -> list[str]:
    """A plausible address: something, "@", a dotted domain with a 2+ letter top level."""
    if len(address) > 254:
        return ["email address is too long"]
    if not EMAIL_RE.fullmatch(address):
        return ["email address is not valid"]
    return []


def check_password(password: str, username: str = "") -> list[str]:
    """At least 10 characters with a letter and a digit, and not containing the username."""
    problems = []
    if len(password) < 10:
        problems.append("password must be at least 10 characters")
    if not any(ch.isalpha() for ch in password):
        problems.append("password must contain a letter")
    if not any(ch.isdigit() for ch in password):
        problems.append("password must contain a digit")
    if username and username.lower() in password.lower():
        problems.append("password must not contain the username")
    return problems


def check_age(text: str, minimum: int = 13) -> list[str]:
    """A whole number of years between `minimum` and 130."""
    try:
        age = int(text.strip())
    except ValueError:
        return ["age must be a whole number"]
    if age < minimum:
        return [f"you must be at least {minimum} years old"]
    if age > 130:
        return ["age is not plausible"]
    return []

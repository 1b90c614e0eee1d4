"""Validate a whole sign-up form at once."""

from __future__ import annotations

from collections.abc import Mapping

from formcheck.fields import check_age, check_email, check_password, check_username

REQUIRED = ("username", "email", "password")


def validate_signup(form: Mapping[str, str]) -> dict[str, list[str]]:
    """Problems per field for a submitted sign-up form; an empty dict means it is valid.

    Values are stripped of surrounding whitespace first (except the password),
    and the username is compared case-insensitively by lowering it. The age
    field is optional.
    """
    errors: dict[str, list[str]] = {}
    for field in REQUIRED:
        if not form.get(field, "").strip():
            errors[field] = [f"{field} is required"]
    username = form.get("username", "").strip().lower()
    checks = {
        "username": lambda: check_username(username),
        "email": lambda: check_email(form.get("email", "").strip()),
        "password": lambda: check_password(form.get("password", ""), username),
    }
    for field, check in checks.items():
        if field not in errors:
            problems = check()
            if problems:
                errors[field] = problems
    if form.get("age", "").strip():
        problems = check_age(form["age"])
        if problems:
            errors["age"] = problems
    return errors


def error_summary(errors: dict[str, list[str]]) -> str:
    """One line per problem, such as "email: email is required", fields in form order.

    Fields not in the standard form come last, alphabetically.
    """
    order = {field: index for index, field in enumerate(REQUIRED + ("age",))}
    fields = sorted(errors, key=lambda field: (order.get(field, len(order)), field))
    return "\n".join(f"{field}: {problem}" for field in fields for problem in errors[field])

"""Validation of sign-up form fields with readable error messages."""

from formcheck.fields import (
    check_age,
    check_email,
    check_password,
    check_username,
)
from formcheck.form import error_summary, validate_signup

__all__ = ["check_age", "check_email", "check_password", "check_username", "error_summary", "validate_signup"]

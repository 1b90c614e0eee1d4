"""Five-field cron expressions: parsing, matching a time, and finding the next runs."""

from cronmatch.fields import CronSpec, parse_cron, parse_field
from cronmatch.schedule import matches, next_run, upcoming

__all__ = ["CronSpec", "matches", "next_run", "parse_cron", "parse_field", "upcoming"]

"""Daily time entries such as "09:15-12:30" summed into an H:MM report per day."""

from timesheet.entries import Entry, daily_report, format_minutes, minutes_per_day, span_minutes

__all__ = ["Entry", "daily_report", "format_minutes", "minutes_per_day", "span_minutes"]

"""Request latency summaries (count, mean, percentiles) from access logs."""

from latency.accesslog import parse_line, samples_for
from latency.stats import Summary, percentile, summarize

__all__ = ["Summary", "parse_line", "percentile", "samples_for", "summarize"]

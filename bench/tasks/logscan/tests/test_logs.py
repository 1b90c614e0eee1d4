from datetime import datetime

from loglines import at_least, count_by_level, first_and_last, parse_line, parse_log, worst_components

LOG = """\
2024-05-01T12:00:00Z INFO [web] server started
2024-05-01T12:00:03Z WARN [auth] token expires soon
2024-05-01T12:00:04Z ERROR [db] query failed
    Traceback (most recent call last):
    TimeoutError: 30s
this line was written by something else
2024-05-01T12:00:09Z ERROR [db] reconnect failed

2024-05-01T12:01:00Z NOTICE [web] unknown level
2024-05-01T12:01:30Z ERROR [auth] login denied
2024-05-01T12:02:00Z INFO [web] request served
"""


def test_parse_a_single_line():
    entry = parse_line("2024-05-01T12:00:03Z WARN [auth] token expires soon")
    assert entry is not None
    assert entry.time == datetime(2024, 5, 1, 12, 0, 3)
    assert (entry.level, entry.component, entry.message) == ("WARN", "auth", "token expires soon")


def test_malformed_lines_do_not_parse():
    assert parse_line("hello") is None
    assert parse_line("2024-05-01T12:00:03Z LOUD [auth] nope") is None


def test_continuation_lines_join_the_message():
    entries, _ = parse_log(LOG)
    assert entries[2].message == "query failed\nTraceback (most recent call last):\nTimeoutError: 30s"


def test_every_record_is_read():
    entries, rejected = parse_log(LOG)
    assert [entry.time.strftime("%H:%M:%S") for entry in entries] == [
        "12:00:00",
        "12:00:03",
        "12:00:04",
        "12:00:09",
        "12:01:30",
        "12:02:00",
    ]
    assert rejected == [6, 9]


def test_counts_by_level():
    entries, _ = parse_log(LOG)
    assert count_by_level(entries) == {"DEBUG": 0, "INFO": 2, "WARN": 1, "ERROR": 3, "FATAL": 0}


def test_worst_components():
    entries, _ = parse_log(LOG)
    assert worst_components(entries) == [("db", 2), ("auth", 1)]


def test_severity_filter_and_time_span():
    entries, _ = parse_log(LOG[: LOG.index("this line")])
    assert [entry.level for entry in at_least(entries, "WARN")] == ["WARN", "ERROR"]
    assert first_and_last(entries) == (datetime(2024, 5, 1, 12, 0, 0), datetime(2024, 5, 1, 12, 0, 4))
    assert first_and_last([]) is None

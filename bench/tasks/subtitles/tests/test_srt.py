import pytest

from srtcues import Cue, SrtError, dump_srt, format_timecode, parse_srt, parse_timecode, shift_cues

SAMPLE = """1
00:00:01,000 --> 00:00:03,500
Hello there.

2
00:00:04,000 --> 00:00:06,250
General Kenobi!
You are a bold one.
"""


def test_timecodes_round_trip():
    assert parse_timecode("01:02:03,450") == 3723450
    assert parse_timecode("00:00:05.100") == 5100
    assert format_timecode(3723450) == "01:02:03,450"


def test_parse_unix_document():
    cues = parse_srt(SAMPLE)
    assert cues[0] == Cue(1, 1000, 3500, "Hello there.")
    assert cues[1].text == "General Kenobi!\nYou are a bold one."


def test_parse_windows_line_endings():
    cues = parse_srt(SAMPLE.replace("\n", "\r\n"))
    assert len(cues) == 2
    assert cues[0] == Cue(1, 1000, 3500, "Hello there.")


def test_windows_multiline_text_is_joined_cleanly():
    cues = parse_srt("\ufeff" + SAMPLE.replace("\n", "\r\n"))
    assert cues[1].text == "General Kenobi!\nYou are a bold one."


def test_dump_then_parse_keeps_cues():
    cues = parse_srt(SAMPLE)
    assert parse_srt(dump_srt(cues)) == cues


def test_shift_clamps_and_drops():
    cues = parse_srt(SAMPLE)
    shifted = shift_cues(cues, -3600)
    assert [(cue.start, cue.end) for cue in shifted] == [(400, 2650)]


def test_bad_timing_line_is_an_error():
    with pytest.raises(SrtError, match="bad timing line"):
        parse_srt("1\n00:00:01,000 -> 00:00:02,000\nHi\n")

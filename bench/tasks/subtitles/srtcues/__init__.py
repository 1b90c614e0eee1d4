"""Read, write and retime SubRip (.srt) subtitles."""

from srtcues.document import Cue, SrtError, dump_srt, parse_srt, shift_cues
from srtcues.timecodes import format_timecode, parse_offset, parse_timecode

__all__ = ["Cue", "SrtError", "dump_srt", "format_timecode", "parse_offset", "parse_srt", "parse_timecode", "shift_cues"]

"""Rank players of a game by score, with shared ranks for ties."""

from leaderboard.board import Player, format_table, ordered, ranked, top

__all__ = ["Player", "format_table", "ordered", "ranked", "top"]

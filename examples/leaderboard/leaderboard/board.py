"""Ordering, competition ranking ("1224") and a printable table of players."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Player:
    name: str
    score: int


def ordered(players: list[Player]) -> list[Player]:
    """Highest score first; players with equal scores in alphabetical order of name."""
    return sorted(players, key=lambda player: (player.score, player.name), reverse=True)


def ranked(players: list[Player]) -> list[tuple[int, Player]]:
    """(rank, player) pairs in order; tied players share a rank and the next rank is skipped."""
    result: list[tuple[int, Player]] = []
    for position, player in enumerate(ordered(players), start=1):
        if result and result[-1][1].score == player.score:
            rank = result[-1][0]
        else:
            rank = position
        result.append((rank, player))
    return result


def top(players: list[Player], n: int) -> list[str]:
    """Names of the first `n` players in leaderboard order."""
    if n < 0:
        raise ValueError(f"n must not be negative, got {n}")
    return [player.name for player in ordered(players)[:n]]


def format_table(players: list[Player]) -> str:
    """The leaderboard as text, one "rank. name score" row per player."""
    rows = [f"{rank:>2}. {player.name:<8}{player.score:>6}" for rank, player in ranked(players)]
    return "\n".join(rows)

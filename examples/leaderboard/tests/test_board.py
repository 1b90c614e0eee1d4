from leaderboard import Player, format_table, ordered, ranked, top

DISTINCT = [Player("mia", 120), Player("leo", 340), Player("ana", 90)]
TIED = [Player("cleo", 500), Player("ada", 500), Player("bob", 500), Player("dan", 200)]


def test_highest_score_first():
    assert [p.name for p in ordered(DISTINCT)] == ["leo", "mia", "ana"]


def test_ties_are_alphabetical():
    assert [p.name for p in ordered(TIED)] == ["ada", "bob", "cleo", "dan"]


def test_tied_players_share_a_rank():
    assert [rank for rank, _ in ranked(TIED)] == [1, 1, 1, 4]


def test_top_two_with_a_tie():
    assert top(TIED, 2) == ["ada", "bob"]


def test_table():
    assert format_table(DISTINCT) == " 1. leo        340\n 2. mia        120\n 3. ana         90"

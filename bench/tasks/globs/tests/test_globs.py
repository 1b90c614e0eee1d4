from globmatch import exclude, match, select

PATHS = [
    "setup.py",
    "setup_py",
    "src/app/main.py",
    "src/app/data/report(1).csv",
    "src/app/data/report1.csv",
    "docs/index.md",
    "docs/c++/notes.md",
    "build/lib/app.pyc",
]


def test_star_stays_within_a_segment():
    assert match("setup.py", "*.py")
    assert not match("src/app/main.py", "*.py")
    assert match("src/app/main.py", "src/*/main.py")


def test_double_star_crosses_directories():
    assert match("src/app/main.py", "**/*.py")
    assert match("setup.py", "**/*.py")
    assert match("build/lib/app.pyc", "build/**")


def test_question_mark_and_classes():
    assert match("docs/index.md", "docs/inde?.md")
    assert not match("docs/index.md", "docs/index?md/")
    assert match("log3.txt", "log[0-9].txt")
    assert not match("logx.txt", "log[!a-z].txt")


def test_dot_is_literal():
    assert not match("setup_py", "*.py")
    assert select(PATHS, ["setup.py"]) == ["setup.py"]


def test_parentheses_and_plus_are_literal():
    assert match("src/app/data/report(1).csv", "**/report(1).csv")
    assert not match("src/app/data/report1.csv", "**/report(1).csv")
    assert select(PATHS, ["docs/c++/*.md"]) == ["docs/c++/notes.md"]


def test_paths_are_normalised():
    assert match("./src\\app\\main.py", "src/app/*.py")
    assert match("./docs/index.md", "docs/index.md")


def test_exclude():
    assert exclude(PATHS, ["**/*.py*", "docs/**", "**/*.csv"]) == ["setup_py"]

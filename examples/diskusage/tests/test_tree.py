import pytest

from diskusage import count_files, file, find, folder, largest, total_size


@pytest.fixture
def home():
    return folder(
        "home",
        folder("photos", file("a.jpg", 300), file("b.jpg", 500)),
        folder("docs", file("cv.pdf", 120), folder("empty")),
        file("notes.txt", 40),
    )


def test_file_size_is_its_own():
    assert total_size(file("report.pdf", 120)) == 120


def test_folder_size_adds_nested_files(home):
    assert total_size(home) == 960


def test_empty_folder_has_no_size():
    assert total_size(folder("empty")) == 0


def test_count_files(home):
    assert count_files(home) == 4


def test_find_nested_path(home):
    assert find(home, "docs/cv.pdf").size == 120
    with pytest.raises(KeyError):
        find(home, "docs/missing.txt")


def test_largest_children(home):
    assert largest(home, 2) == [("photos", 800), ("docs", 120)]

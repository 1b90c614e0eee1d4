import hashlib

import pytest

from digestcheck import Problem, build_manifest, bytes_digest, file_digest, list_files, parse_manifest, verify


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "a.txt").write_text("alpha\n")
    (tmp_path / "b.txt").write_text("bravo\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.bin").write_bytes(bytes(range(256)) * 1000)
    return tmp_path


NAMES = ["a.txt", "b.txt", "sub/c.bin"]


def test_file_digest_matches_hashlib(tree):
    expected = hashlib.sha256(bytes(range(256)) * 1000).hexdigest()
    assert file_digest(tree / "sub" / "c.bin") == expected


def test_list_files_skips_hidden(tree):
    (tree / ".git").mkdir()
    (tree / ".git" / "HEAD").write_text("ref\n")
    assert list_files(tree) == NAMES


def test_bytes_and_file_digests_agree(tree):
    assert bytes_digest(b"alpha\n") == file_digest(tree / "a.txt")


def test_parse_manifest_handles_binary_marker():
    text = "ABC123  a.txt\n\ndef456 *b.txt\n"
    assert parse_manifest(text) == {"a.txt": "abc123", "b.txt": "def456"}


def test_untouched_tree_verifies(tree):
    manifest = parse_manifest(build_manifest(tree, NAMES))
    assert verify(manifest, tree) == []


def test_changed_first_file_is_reported(tree):
    manifest = parse_manifest(build_manifest(tree, NAMES))
    (tree / "a.txt").write_text("changed\n")
    assert verify(manifest, tree) == [Problem("a.txt", "mismatch")]


def test_changed_later_file_is_reported(tree):
    manifest = parse_manifest(build_manifest(tree, NAMES))
    (tree / "sub" / "c.bin").write_bytes(b"truncated")
    assert verify(manifest, tree) == [Problem("sub/c.bin", "mismatch")]


def test_every_problem_is_reported(tree):
    manifest = parse_manifest(build_manifest(tree, NAMES))
    (tree / "a.txt").write_text("ALPHA\n")
    (tree / "sub" / "c.bin").unlink()
    assert verify(manifest, tree) == [Problem("a.txt", "mismatch"), Problem("sub/c.bin", "missing")]


def test_unknown_algorithm():
    with pytest.raises(ValueError, match="unsupported"):
        file_digest(__file__, "nope")

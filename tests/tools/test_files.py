"""RepoFiles: the repository boundary, atomic writes, splicing and the Python file listing."""

from __future__ import annotations

import os
import stat

import pytest
from tool_repos import write_files

from kog.tools.errors import PathOutsideRepoError, SourceParseError
from kog.tools.files import RepoFiles, splice_text


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo"
    write_files(root, {"pkg/mod.py": "a = 1\nb = 2\nc = 3\n", "README.md": "hi\n"})
    (root / ".git").mkdir()
    (root / ".git/config").write_text("[core]\n")
    (tmp_path / "secret.txt").write_text("outside\n")
    return RepoFiles(root)


@pytest.mark.parametrize(
    "rel", ["../secret.txt", "pkg/../../secret.txt", ".git/config", ".git", "pkg/../.git/config"]
)
def test_relative_escapes_are_refused(repo, rel):
    with pytest.raises(PathOutsideRepoError):
        repo.resolve(rel)
    with pytest.raises(PathOutsideRepoError):
        repo.write(rel, "x")


def test_absolute_paths_only_inside(repo, tmp_path):
    with pytest.raises(PathOutsideRepoError):
        repo.read(str(tmp_path / "secret.txt"))
    with pytest.raises(PathOutsideRepoError):
        repo.resolve("/etc/passwd")
    assert repo.resolve(str(repo.root / "pkg/mod.py")) == repo.root / "pkg/mod.py"


def test_symlinks_pointing_outside_are_refused(repo, tmp_path):
    os.symlink(tmp_path / "secret.txt", repo.root / "link.txt")
    os.symlink(tmp_path, repo.root / "linkdir")
    os.symlink(repo.root / ".git", repo.root / "gitlink")
    for rel in ("link.txt", "linkdir/secret.txt", "gitlink/config"):
        with pytest.raises(PathOutsideRepoError):
            repo.resolve(rel)
    with pytest.raises(PathOutsideRepoError):
        repo.write("link.txt", "overwrite")
    assert (tmp_path / "secret.txt").read_text() == "outside\n"
    os.symlink(repo.root / "pkg/mod.py", repo.root / "inside.py")
    assert repo.read("inside.py") == "a = 1\nb = 2\nc = 3\n"


def test_write_is_atomic_and_keeps_mode(repo):
    target = repo.root / "pkg/mod.py"
    os.chmod(target, 0o755)
    inode = target.stat().st_ino
    repo.write("pkg/mod.py", "a = 10\r\n")
    assert target.read_bytes() == b"a = 10\r\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o755
    assert target.stat().st_ino != inode  # replaced, not rewritten in place
    assert sorted(p.name for p in target.parent.iterdir()) == ["mod.py"]
    repo.write("pkg/sub/new.py", "x = 1\n")
    assert repo.read("pkg/sub/new.py") == "x = 1\n"


def test_read_refuses_binary_and_folders(repo):
    (repo.root / "blob.bin").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(SourceParseError):
        repo.read("blob.bin")
    with pytest.raises(SourceParseError):
        repo.read("pkg")


def test_splice_lines(repo):
    assert repo.splice_lines("pkg/mod.py", 2, 2, "b = 20\nb2 = 21") == "a = 1\nb = 20\nb2 = 21\nc = 3\n"
    assert repo.splice_lines("pkg/mod.py", 1, 3, "") == ""
    assert repo.splice_lines("pkg/mod.py", 3, 2, "inserted\n") == "a = 1\nb = 2\ninserted\nc = 3\n"
    assert repo.read("pkg/mod.py") == "a = 1\nb = 2\nc = 3\n"  # nothing written
    assert splice_text("x\r\ny\r\n", 1, 1, "z") == "z\r\ny\r\n"
    assert splice_text("x\ny", 2, 2, "z") == "x\nz"
    with pytest.raises(ValueError):
        repo.splice_lines("pkg/mod.py", 2, 4, "x")
    with pytest.raises(ValueError):
        repo.splice_lines("pkg/mod.py", 0, 1, "x")


def test_python_files_skip_vendored_and_generated(repo):
    write_files(
        repo.root,
        {
            "tests/test_mod.py": "",
            "pkg/__pycache__/mod.py": "",
            ".venv/lib/site.py": "",
            "myenv/lib/x.py": "",
            "build/lib/pkg/mod.py": "",
            ".git/hooks/x.py": "",
            "scripts/tool.pyi": "",
        },
    )
    (repo.root / "myenv/pyvenv.cfg").write_text("home = /usr\n")
    assert repo.python_files() == ["pkg/mod.py", "tests/test_mod.py"]

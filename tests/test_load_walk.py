"""discover and its folder walk (load/walk.py): (os.scandir) visits what os.walk would, in the same order, and says which files are links."""

from __future__ import annotations

import os

from aimc.errors import Collector
from aimc.load import documents, walk


def _tree(root):
    for folder in ("b", "a/z", "a/c", ".hidden", "a/.git", "dash-1", "dash"):
        os.makedirs(root / folder, exist_ok=True)
    for file in ("top.yaml", "a/one.yml", "a/c/two.yaml", "a/z/three.yaml", ".hidden/no.yaml", "a/.git/no.yaml",
                 "b/.dot.yaml", "b/readme.md", "dash-1/x.yaml", "dash/y.yaml", "b/b.yaml"):
        (root / file).write_text("kind: x\n", encoding="utf-8")
    os.symlink(root / "a", root / "b" / "link-to-folder")
    os.symlink(root / "top.yaml", root / "b" / "link.yaml")
    os.symlink(root / "missing.yaml", root / "b" / "broken.yaml")


def _reference(root):
    """The walk discover made with os.walk before: sorted, top-down, hidden entries and links to folders skipped."""
    out, links = [], []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        links += [os.path.join(dirpath, d) for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
        names = sorted(n for n in filenames if not n.startswith(".") and n.endswith(walk.YAML_SUFFIXES))
        rel = os.path.relpath(dirpath, root).replace(os.sep, "/")
        out.append((dirpath, rel, [(n, os.path.islink(os.path.join(dirpath, n))) for n in names]))
    return out, links


def test_the_walk_matches_os_walk_order_and_link_flags(tmp_path):
    _tree(tmp_path)
    links = []
    walked = list(walk.folders(str(tmp_path), lambda kind, path, _: links.append(path) if kind == "link" else None))
    expected, expected_links = _reference(str(tmp_path))
    assert walked == expected
    assert links == expected_links == [str(tmp_path / "b" / "link-to-folder")]
    assert {w[0]: w[2] for w in walked}[str(tmp_path / "b")] == [("b.yaml", False), ("broken.yaml", True),
                                                                ("link.yaml", True)]


def test_discover_reads_each_file_once_and_warns_of_folder_links(tmp_path):
    _tree(tmp_path)
    collector = Collector()
    files = documents.discover([str(tmp_path)], collector)
    sources = [f.source for f in files]
    # b/link.yaml is top.yaml again (one real file, read once); b/broken.yaml cannot be read.
    assert sources == ["top.yaml", "a/one.yml", "a/c/two.yaml", "a/z/three.yaml", "b/b.yaml", "dash/y.yaml",
                       "dash-1/x.yaml"]
    assert [d.message for d in collector.warnings] == [
        "symbolic link to a folder: not followed, its files are not read (list the folder it points to as an input "
        "to read them)"]
    assert len(collector.errors) == 1 and collector.errors[0].file.endswith(os.path.join("b", "broken.yaml"))


def test_an_unreadable_start_is_an_error_not_a_crash(tmp_path):
    collector = Collector()
    problems = []
    assert list(walk.folders(str(tmp_path / "gone"), lambda *p: problems.append(p))) == []
    assert problems and problems[0][0] == "error"
    assert collector.errors == []


def test_each_folder_is_shown_as_display_path_shows_it(tmp_path, monkeypatch):
    """Issue 24: a folder's shown path is the top's plus its relative path, not display_path per folder; the same
    text for relative and absolute inputs, inside and outside the working directory (hidden folders such as `..x`
    are not walked)."""
    repo = tmp_path / "work" / "repo"
    for folder in ("a/b", "..x/c", "...", "a/..y", "a/x..", "b"):
        os.makedirs(repo / folder, exist_ok=True)
        (repo / folder / "f.yaml").write_text("kind: x\n", encoding="utf-8")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    cases = [(repo.parent, "repo", None), (repo.parent, "./repo/", None), (repo.parent, str(repo), None),
             (repo, ".", None), (repo, str(repo), None), (outside, str(repo), None), (outside, "../work/repo", None),
             (outside, "repo", str(repo.parent)), (repo / "a", "..", None), (repo / "a", str(repo) + "/a/..", None)]
    shown = set()
    for cwd, given, root in cases:
        monkeypatch.chdir(cwd)
        folder_shown = documents._folder_display(given, root)
        top = os.path.join(root, given) if root else given
        for _, rel_dir, _ in walk.folders(top):
            expected = documents.display_path(given if rel_dir == "." else os.path.join(given, rel_dir), root)
            assert folder_shown(rel_dir) == expected, (cwd, given, rel_dir)
            shown.add(expected)
    assert {".", "a/x..", "repo/a/b", "../work/repo/a/b", str(repo / "a" / "b")} <= shown

"""discover + load + classify: which files, which documents, what each document is.

Discovery rules (documented in the README):
- a directory is walked recursively in sorted order; hidden files and folders (`.git`, `.github`, ...) are skipped;
- only `*.yaml` and `*.yml` files are read; `-` reads one YAML stream from stdin;
- a document is classified by its content, never by its path (see `classify`).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import yaml

from aimc.errors import Collector, Diagnostic
from aimc.load import limits, walk
from aimc.load.classify import API_GROUP, API_VERSION, OWN_KINDS, TOOL_KINDS, classify  # noqa: F401 (public here too)
from aimc.load.encodings import other_unicode, utf8_file_name
from aimc.load.yaml_positions import MAX_DEPTH, format_path, load_all_keyed, non_string_key
from aimc.records import Record, compared_on

# Input files larger than this are refused: no spec repository holds a 20 MB YAML file on purpose.
MAX_FILE_BYTES = limits.MAX_INPUT_BYTES


class SourceFile(Record):
    path: str  # as the user can reach it (for error messages)
    source: str  # relative to the input root (for `# Source:` comments; never absolute)
    text: str


class Document(Record):
    file: str  # SourceFile.path
    source: str  # SourceFile.source
    index: int  # position of the document in its file
    line: int  # first line of the document
    kind: str  # endpoint | inventory | model | scenario | recipe | profile | object
    data: dict  # a PosDict when its lines are known (always, but for objects handed over by KRM); equality ignores it

    __eq__, __ne__, __hash__ = compared_on("file", "source", "index", "line", "kind")

    def diag(self, line: int, field_path: str, message: str, severity: str = "error") -> Diagnostic:
        return Diagnostic(self.file, line or self.line, field_path, message, severity)


# -- discover -----------------------------------------------------------------------------------------------

def discover(paths, collector: Collector, stdin_text: str | None = None, exclude=(),
             root: str | None = None) -> list[SourceFile]:
    """Every input file, in a stable order, read as text. Unreadable files become diagnostics. Relative paths are
    relative to `root` (default: the working directory) and shown as given."""
    files: list[SourceFile] = []
    seen: set[str] = set()
    for given in paths:
        if given == "-":
            text = decode_stdin(stdin_text or "", collector)
            if text is not None:
                files.append(SourceFile("<stdin>", "<stdin>", text))
            continue
        location = Path(root, given) if root else Path(given)
        try:
            is_dir = stat.S_ISDIR(os.stat(location).st_mode)
        except OSError as exc:  # missing, a name too long, a folder on the way that cannot be searched
            collector.error(given, 0, "", "no such file or directory" if isinstance(exc, FileNotFoundError)
                            else f"cannot read: {exc.strerror or exc}")
            continue
        if is_dir:
            _add_folder(files, seen, collector, given, exclude, root)
        else:  # read_input refuses what is not a regular file
            _add(files, seen, collector, location, display_path(given, root), location.name)
    return files


def _add_folder(files, seen, collector: Collector, given: str, exclude, root: str | None) -> None:
    top = os.path.join(root, given) if root else given
    # Per folder, not per file: the display path, the real path and the relative path (thousands of files).
    def problem(kind: str, path: str, detail: str) -> None:
        relative = os.path.relpath(path, top)
        shown = display_path(given if relative == "." else os.path.join(given, relative), root)
        if kind == "link":
            collector.warn(shown, 0, "", "symbolic link to a folder: not followed, its files are not read (list "
                                         "the folder it points to as an input to read them)")
        else:
            collector.error(shown, 0, "", f"cannot read this folder: {detail}")

    # No folder link is followed, so a folder's real path is the real path of the top and its relative path.
    real_top = os.path.realpath(top)
    folder_shown = _folder_display(given, root)
    for directory, rel_dir, names in walk.folders(top, problem):
        shown = folder_shown(rel_dir)
        real = _as_prefix(real_top if rel_dir == "." else os.path.join(real_top, rel_dir))
        folder, shown = _as_prefix(directory), "" if shown == "." else _as_prefix(shown)
        for name, is_link in names:
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            if exclude and _excluded(rel, exclude):
                continue
            path = folder + name
            _add(files, seen, collector, path, shown + name, rel, os.path.realpath(path) if is_link else real + name)


def _folder_display(given: str, root: str | None):
    """rel_dir -> display_path of that folder under `given`. From the top's shown path plus the folder's relative
    path (display_path per folder cost 2 ms in 400 folders, issue 24): the same text, since the walk skips hidden
    folders (no part of rel_dir is `.`, `..` or begins with a dot), unless the top is shown absolute and holds the
    working folder, whose folders are shown relative from there down: then each is asked of display_path."""
    top_shown = display_path(given, root)
    if os.path.isabs(top_shown) and _inside(os.path.abspath(root or os.curdir), top_shown):
        return lambda rel_dir: display_path(given if rel_dir == "." else os.path.join(given, rel_dir), root)
    return lambda rel_dir: (top_shown if rel_dir == "." else rel_dir if top_shown == "."
                            else os.path.join(top_shown, rel_dir))


def _inside(path: str, folder: str) -> bool:
    return os.path.commonpath([path, folder]) == folder


def _as_prefix(folder: str) -> str:
    """The folder with one separator after it, to add file names to (os.path.join costs more, thousands of times)."""
    return folder if folder.endswith(os.sep) else folder + os.sep


def _excluded(rel: str, patterns) -> bool:
    from fnmatch import fnmatch

    return any(fnmatch(rel, p) or rel.startswith(p.rstrip("/") + "/") for p in patterns)


def display_path(path, root: str | None = None) -> str:
    """The path relative to `root` (default: the working directory) when it is below it, else as given."""
    text = os.path.normpath(str(path))
    if os.path.isabs(text):
        try:
            rel = os.path.relpath(text, root or os.curdir)
            if not rel.startswith(".."):
                return rel
        except ValueError:  # pragma: no cover - other drive on Windows
            pass
    return text


def _add(files, seen, collector: Collector, path: str | Path, display: str, source: str,
         key: str | None = None) -> None:
    key = key or os.path.realpath(path)
    if key in seen:
        return
    seen.add(key)
    if not (display.isascii() and source.isascii()):  # (most names: no call, for each of thousands of files)
        display, source = utf8_file_name(display), utf8_file_name(source)
    text = read_input(path, display, collector)
    if text is not None:
        files.append(SourceFile(display, source, text))


def read_input(path: str | Path, display: str, collector: Collector) -> str | None:
    # Problems of a whole file are reported at line 1: every diagnostic names a file and a line.
    try:
        raw = limits.read_file(path)
    except (limits.InputTooLarge, limits.NotRegularFile) as exc:
        collector.error(display, 1, "", exc.message())
        return None
    except OSError as exc:
        collector.error(display, 1, "", f"cannot read: {exc.strerror or exc}")
        return None
    return decode(raw, display, collector)


def decode_stdin(text: str, collector: Collector) -> str | None:
    """The CLI reads stdin as bytes and passes them on losslessly (surrogateescape): check them like a file's."""
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # lone surrogates from a caller in-process: decode() reports them as invalid UTF-8
        raw = text.encode("utf-8", "surrogatepass")
    if len(raw) > MAX_FILE_BYTES:
        collector.error("<stdin>", 1, "", limits.InputTooLarge(len(raw), exact=True).message())
        return None
    return decode(raw, "<stdin>", collector)


def decode(raw: bytes, display: str, collector: Collector) -> str | None:
    nul = raw.find(b"\x00")
    other = other_unicode(raw) if nul >= 0 or raw[:2] in (b"\xff\xfe", b"\xfe\xff") else None
    if other:
        collector.error(display, 1, "", f"{other} text: aimc reads UTF-8 only; save the file as UTF-8")
        return None
    if nul >= 0:
        collector.error(display, raw[:nul].count(b"\n") + 1, "", "binary file (NUL bytes): expected UTF-8 YAML text")
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        collector.error(display, line, "", f"invalid UTF-8 byte 0x{raw[exc.start]:02x} at byte {exc.start}: "
                                           "save the file as UTF-8")
        return None
    # A byte-order mark at the start is legal YAML (editors on Windows write one): accept it and read past it.
    # Anywhere else (files concatenated with `cat`) libyaml cannot read it: say so plainly.
    text = text[1:] if text.startswith("\ufeff") else text
    stray = text.find("\ufeff")
    if stray >= 0:
        collector.error(display, text.count("\n", 0, stray) + 1, "", "byte-order mark (U+FEFF) inside the file: "
                                                                   "remove it; one is accepted only at the very start")
        return None
    return text


# -- load + classify ----------------------------------------------------------------------------------------

def load(files: list[SourceFile], collector: Collector) -> list[Document]:
    documents: list[Document] = []
    budget = limits.ExpansionBudget()  # alias expansion, over all the files of this load
    for source_file in files:
        documents.extend(load_file(source_file, collector, budget))
    return documents


def load_file(source_file: SourceFile, collector: Collector, budget=None) -> list[Document]:
    out: list[Document] = []
    try:
        for index, (line, data, text_keys) in enumerate(load_all_keyed(source_file.text, budget)):
            kind = classify(data)
            if kind is None:
                continue
            if isinstance(kind, Diagnostic):  # classification problem
                collector.add(Diagnostic(source_file.path, line, kind.field, kind.message))
                continue
            bad_key = None if text_keys else non_string_key(data)
            if bad_key is not None:
                collector.add(non_string_key_diagnostic(source_file.path, line, *bad_key))
                continue
            out.append(Document(source_file.path, source_file.source, index, line, kind, data))
    except yaml.MarkedYAMLError as exc:
        from aimc.load import helm_hint  # only for a file that is not YAML

        collector.add(helm_hint.with_hint(_yaml_diagnostic(source_file.path, exc, source_file.text), source_file.text,
                                          source_file.source))
        return []
    except yaml.reader.ReaderError as exc:  # a character YAML forbids (control characters)
        # libyaml reads UTF-8, so its position is a byte offset
        line = source_file.text.encode("utf-8", "surrogatepass").count(b"\n", 0, exc.position) + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)  # int from libyaml
        collector.error(source_file.path, line, "", f"invalid YAML: control character U+{code:04X} is not allowed")
        return []
    except yaml.YAMLError as exc:
        collector.error(source_file.path, 1, "", f"invalid YAML: {exc}")
        return []
    except RecursionError:  # only the pure-Python parser (no libyaml) recurses per level
        collector.error(source_file.path, 1, "", f"invalid YAML: nested more than {MAX_DEPTH} levels deep; refusing it")
        return []
    return out


def non_string_key_diagnostic(path: str, document_line: int, line: int, where: tuple, key) -> Diagnostic:
    if key is None or isinstance(key, bool):
        kind, text = ("null", "null") if key is None else ("boolean", str(key).lower())
    elif isinstance(key, (int, float)):
        kind, text = "number", str(key)
    else:
        kind, text = type(key).__name__, str(key)
    # YAML 1.1 reads unquoted on/off/yes/no as booleans and digits as numbers; JSON (Kubernetes) keys are strings.
    return Diagnostic(path, line or document_line, format_path(where) or "(document)",
                      f"key read as the {kind} {text}: keys must be strings, quote the key")


def _yaml_diagnostic(path: str, exc: yaml.MarkedYAMLError, text: str = "") -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else 0
    problem = exc.problem or "invalid YAML"
    if mark and "cannot start any token" in problem and _character_at(text, mark) == "\t":
        return Diagnostic(path, line, "", "invalid YAML: a tab character where YAML expects indentation or a value: "
                                          "YAML forbids tabs for indentation, use spaces")
    if "tab character" in problem:
        problem += " (YAML forbids tabs for indentation: use spaces)"
    if "maximum nesting depth" in problem:  # libyaml's own limit (1000 levels), above ours
        return Diagnostic(path, line, "", f"invalid YAML: nested more than {MAX_DEPTH} levels deep; refusing it")
    if "\t" in problem or "found character '\\t'" in problem:
        problem += " (YAML forbids tabs for indentation: use spaces)"
    context = f" {exc.context}" if exc.context and exc.context not in problem else ""
    return Diagnostic(path, line, "", f"invalid YAML: {problem}{context.rstrip()}".strip())


def _character_at(text: str, mark) -> str:
    lines = text.split("\n", mark.line + 1)
    return lines[mark.line][mark.column:mark.column + 1] if mark.line < len(lines) else ""

"""The seeds manifest and raw-file reading: every file declared, present, unchanged and decodable.

`load_inputs` checks the manifest against the folder and returns the declared files; each file's
bytes are checked against its sha256 and decoded when it is read (`RawFile.read_text`). Problems
raise a `BadInputError` / `ConfigError` naming the file and what to do. Nothing is written here.

The manifest's rules (README "Adding real inputs"):
- its schema is closed at every level: top-level keys `files` (the `[[files]]` tables) and `ignore`
  (a list of paths), each file's keys those of `FileDecl`, each value of the declared type
  (`options` and `collected_at` optional; `collected_at` a date-time with its UTC offset);
- a path is relative to the seeds folder, uses `/`, never goes up with `..`, and is recorded in
  its normalised form (`./a.txt` is `a.txt`); each file is declared once after normalisation;
- every entry under the seeds folder, in any subfolder, is declared or listed in `ignore` (a file,
  or a folder and everything in it); only the manifest itself is implicit;
- raw files are regular files: a symbolic link anywhere under the seeds folder is refused, so a
  file is always read where it is declared and never outside the folder.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from statemedia.errors import BadInputError, ConfigError
from statemedia.fileio import read_toml
from statemedia.ids import sha256_bytes
from statemedia.vocab import vocabulary

MANIFEST_NAME = "manifest.toml"
MANIFEST_KEYS = ("files", "ignore")
# A BCP 47-like language tag: primary language subtag, then optional script / region / variant.
LANGUAGE_TAG = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")
SHA256_HEX = re.compile(r"[0-9a-f]{64}")
# Formats whose files are JSON text: their `\uXXXX` escapes are checked for lone surrogates.
JSON_FORMATS = frozenset({"jsonl", "telegram_export"})
_JSON_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|.)", re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class FileDecl:
    """One raw file as the manifest declares it."""

    path: str  # relative to the seeds folder, normalised (posix, no "." or empty parts)
    sha256: str
    source: str
    platform: str
    format: str
    language: str
    collection: str
    # Format-specific options, e.g. a channel username for t.me links or a JSONL field mapping.
    options: dict[str, Any] = field(default_factory=dict)
    # When the file was collected (aware, UTC, whole seconds): the time its engagement counts were
    # observed, and the latest plausible publication time of its posts. Optional; a file whose
    # posts carry views, forwards, replies or reactions must declare it.
    collected_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SeedManifest:
    """The whole manifest: the declared files and the paths deliberately left out of the build."""

    files: tuple[FileDecl, ...]
    ignore: tuple[str, ...]  # normalised paths (files or folders) relative to the seeds folder


@dataclass(frozen=True, slots=True)
class RawFile:
    """A declared raw file, read lazily: its text is loaded (and verified) only when parsed, so a
    build never holds every input in memory at once."""

    decl: FileDecl
    repo_path: str  # e.g. "seeds/000_….txt", used in provenance and messages
    sha256: str  # as declared; `read_text` refuses bytes that do not match
    text: str | None = None  # already decoded text (tests), else read from `path`
    path: Path | None = None
    size: int = 0  # bytes on disk

    def read_text(self) -> str:
        """The decoded text, after checking the bytes against the declared sha256."""
        return self.read_decoded()[0]

    def read_decoded(self) -> tuple[str, int]:
        """The decoded text and the number of raw bytes before its first character (3 for a
        UTF-8 byte-order mark, which is not part of the text, else 0), for byte offsets."""
        if self.text is not None:
            return self.text, 0
        assert self.path is not None
        data = self.path.read_bytes()
        digest = sha256_bytes(data)
        if digest != self.sha256:
            raise BadInputError(
                f"{self.repo_path}: sha256 {digest} differs from the manifest's {self.sha256}; raw "
                "files must never change: restore the original or declare a new file"
            )
        text = decode(self.repo_path, data)
        if self.decl.format in JSON_FORMATS:
            refuse_lone_surrogates(self.repo_path, text)
        return text, len(data) - len(data.removeprefix(UTF8_BOM))


def normalise_path(value: object, where: str) -> str:
    """The canonical form of a manifest path: relative to the seeds folder, '/'-separated, no '.'
    or empty parts; an absolute path, '..', a backslash or a control character is a ConfigError."""
    if not isinstance(value, str):
        raise ConfigError(f"{where}: path must be a string, got {value!r}")
    if _CONTROL.search(value):
        raise ConfigError(f"{where}: path {value!r} contains a control character")
    if "\\" in value:
        raise ConfigError(
            f"{where}: path {value!r} contains a backslash; write paths relative to the seeds "
            "folder with '/' between folders"
        )
    if value.startswith("/") or re.match(r"[A-Za-z]:", value):
        raise ConfigError(
            f"{where}: path {value!r} is absolute; write it relative to the seeds folder, e.g. "
            f"{PurePosixPath(value).name!r}"
        )
    parts = [part for part in value.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise ConfigError(
            f"{where}: path {value!r} goes up with '..'; every raw file lives inside the seeds "
            "folder: write its path relative to it"
        )
    if not parts:
        raise ConfigError(f"{where}: path {value!r} names no file")
    return "/".join(parts)


OPTIONAL_KEYS = frozenset({"options", "collected_at"})


def collected_at(value: object, where: str) -> datetime:
    """A `collected_at` value: a TOML offset date-time (or an ISO 8601 string with an offset),
    returned in UTC to the second. A time without a zone names no moment, so it is refused."""
    moment = value
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            moment = None
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise ConfigError(
            f"{where}: collected_at must be a date and time with its UTC offset, e.g. "
            f"collected_at = 2025-02-07T18:30:00Z, got {value!r}"
        )
    return moment.astimezone(UTC).replace(microsecond=0)


def _decl(entry: object, where: str, formats: set[str]) -> FileDecl:
    """One `[[files]]` table checked: its keys, their types and the closed vocabularies."""
    if not isinstance(entry, dict):
        raise ConfigError(
            f"{where}: expected a [[files]] table (path = …, sha256 = …, …), got {entry!r}"
        )
    if isinstance(entry.get("path"), str):
        where = f"{where} ({entry['path']})"
    known = [f.name for f in fields(FileDecl)]
    unknown = sorted(set(entry) - set(known))
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(known)}"
        )
    missing = [key for key in known if key not in OPTIONAL_KEYS and key not in entry]
    if missing:
        raise ConfigError(f"{where}: missing key(s) {', '.join(missing)}")
    for key in known:
        value = entry.get(key)
        if key == "collected_at":
            if key in entry:
                entry = {**entry, key: collected_at(value, where)}
        elif key == "options":
            if key in entry and not isinstance(value, dict):
                raise ConfigError(
                    f"{where}: options must be a table, e.g. options = {{ channel = "
                    f'"MFARussia" }}, got {value!r}'
                )
        elif not isinstance(value, str):
            raise ConfigError(f"{where}: {key} must be a string, got {value!r}")
        elif not value.strip():
            raise ConfigError(f"{where}: {key} is empty")
    decl = FileDecl(**{**entry, "path": normalise_path(entry["path"], where)})
    if decl.path == MANIFEST_NAME:
        raise ConfigError(f"{where}: {MANIFEST_NAME} is the manifest itself, not a raw file")
    for field_name, vocab_name in (("source", "sources"), ("platform", "platforms")):
        if getattr(decl, field_name) not in vocabulary(vocab_name):
            raise ConfigError(
                f"{where}: {field_name} {getattr(decl, field_name)!r} is not in "
                f"schema/vocabularies.json '{vocab_name}'"
            )
    if decl.format not in formats:
        raise ConfigError(
            f"{where}: unknown format {decl.format!r}; known formats: {', '.join(sorted(formats))}"
        )
    if not LANGUAGE_TAG.fullmatch(decl.language):
        raise ConfigError(
            f"{where}: language {decl.language!r} is not a language tag like 'en', 'ru' or "
            "'zh-Hant' (BCP 47: a lowercase ISO 639 code, then optional subtags)"
        )
    return decl


def _ignore_list(value: object, path: Path) -> tuple[str, ...]:
    """The `ignore` list: normalised paths, each listed once."""
    if not isinstance(value, list):
        raise ConfigError(
            f"{path}: ignore must be a list of paths relative to the seeds folder, e.g. "
            f'ignore = ["notes/README.md"], got {value!r}'
        )
    ignore: list[str] = []
    for k, entry in enumerate(value, start=1):
        normal = normalise_path(entry, f"{path} ignore #{k}")
        if normal in ignore:
            raise ConfigError(
                f"{path} ignore #{k}: {entry!r} is listed twice (as #{ignore.index(normal) + 1})"
            )
        ignore.append(normal)
    return tuple(ignore)


def _is_under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(f"{folder}/")


def read_seed_manifest(seeds_dir: Path, formats: set[str]) -> SeedManifest:
    """Read `manifest.toml`: its schema, every declaration, and the `ignore` list."""
    path = seeds_dir / MANIFEST_NAME
    if not path.is_file():
        raise ConfigError(f"{path}: missing; declare every raw file there")
    data = read_toml(path, ConfigError)
    unknown = sorted(set(data) - set(MANIFEST_KEYS))
    if unknown:
        hint = " (each raw file is a [[files]] table)" if "file" in unknown else ""
        raise ConfigError(
            f"{path}: unknown key(s) {', '.join(unknown)}{hint}; known: {', '.join(MANIFEST_KEYS)}"
        )
    entries = data.get("files", [])
    if not isinstance(entries, list):
        raise ConfigError(
            f"{path}: files must be an array of [[files]] tables, got {type(entries).__name__} "
            f"{entries!r}"
        )
    if not entries:
        raise ConfigError(f"{path}: declares no files")
    decls: list[FileDecl] = []
    first: dict[str, int] = {}  # normalised path -> number of its [[files]] table
    for k, entry in enumerate(entries, start=1):
        where = f"{path} [[files]] #{k}"
        decl = _decl(entry, where, formats)
        if decl.path in first:
            j = first[decl.path]
            raise ConfigError(
                f"{path}: [[files]] #{j} ({entries[j - 1]['path']}) and #{k} ({entry['path']}) "
                f"both declare {decl.path}; declare each file once"
            )
        first[decl.path] = k
        decls.append(decl)
    ignore = _ignore_list(data.get("ignore", []), path)
    for k, decl in enumerate(decls, start=1):
        for n, ignored in enumerate(ignore, start=1):
            if _is_under(decl.path, ignored):
                raise ConfigError(
                    f"{path} [[files]] #{k} ({decl.path}): declared, and also ignored by ignore "
                    f"#{n} ({ignored}); a file is either built or ignored: remove one"
                )
    return SeedManifest(files=tuple(decls), ignore=ignore)


def read_manifest(seeds_dir: Path, formats: set[str]) -> list[FileDecl]:
    """The files `manifest.toml` declares, each checked against the schema and vocabularies."""
    return list(read_seed_manifest(seeds_dir, formats).files)


UTF8_BOM = "\ufeff".encode()


def decode(path_label: str, data: bytes) -> str:
    """Decode raw bytes as strict UTF-8, refusing empty and binary files."""
    if not data.strip():
        raise BadInputError(
            f"{path_label}: file is empty; remove it from the manifest or re-scrape"
        )
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise BadInputError(
            f"{path_label}:{line}: NUL byte, this looks like a binary file; only text scrapes are accepted"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise BadInputError(
            f"{path_label}:{line}: not UTF-8 at byte {err.start}; re-export the scrape as UTF-8"
        ) from err
    return text.removeprefix("\ufeff")


def lone_surrogate(text: str) -> int | None:
    """The offset of the first JSON escape `\\uD800`–`\\uDFFF` that is not half of a surrogate
    pair (`\\ud83d\\ude00` is one character; `\\ud800` alone is none), or None."""
    if "\\u" not in text:
        return None
    pending: re.Match[str] | None = None  # a high surrogate waiting for its low half
    for match in _JSON_ESCAPE.finditer(text):
        code = int(match.group(1), 16) if match.group(1) else -1
        if pending is not None:
            if 0xDC00 <= code <= 0xDFFF and match.start() == pending.end():
                pending = None
                continue
            return pending.start()
        if 0xD800 <= code <= 0xDBFF:
            pending = match
        elif 0xDC00 <= code <= 0xDFFF:
            return match.start()
    return None if pending is None else pending.start()


def refuse_lone_surrogates(path_label: str, text: str, first_line: int = 1) -> None:
    """Raise a BadInputError naming the line of a lone-surrogate escape in JSON `text` (whose
    first line is `first_line`): json.loads accepts it, but it is no character and no UTF-8."""
    offset = lone_surrogate(text)
    if offset is None:
        return
    line = first_line + text.count("\n", 0, offset)
    raise BadInputError(
        f"{path_label}:{line}: lone surrogate {text[offset : offset + 6]} in a JSON string (half of "
        "a UTF-16 pair, not a character, so it cannot be stored as UTF-8); re-export the scrape, "
        "or fix the escape in a new file"
    )


def _seed_entries(seeds_dir: Path, ignore: Sequence[str]) -> dict[str, os.stat_result]:
    """Every entry under the seeds folder that is not ignored, by normalised relative path, with
    its `lstat` (links are not followed), sorted; folders are entered, the manifest is left out."""
    entries: dict[str, os.stat_result] = {}
    folders = [""]
    while folders:
        prefix = folders.pop()
        folder = seeds_dir / prefix
        try:
            names = os.listdir(folder)
        except OSError as err:
            raise ConfigError(f"{folder}: cannot list: {err.strerror or err}") from err
        for name in names:
            rel = f"{prefix}{name}"
            if rel == MANIFEST_NAME or any(_is_under(rel, ignored) for ignored in ignore):
                continue
            info = (folder / name).lstat()
            if stat.S_ISDIR(info.st_mode):
                folders.append(f"{rel}/")
            else:
                entries[rel] = info
    return dict(sorted(entries.items()))


def _seeds_label(seeds_dir: Path, repo_root: Path) -> str:
    """The seeds folder relative to the repository root ("seeds"); it must be a real folder in it."""
    try:
        relative = seeds_dir.relative_to(repo_root)
    except ValueError:
        relative = None
    if relative is None or ".." in relative.parts or not relative.parts:
        raise ConfigError(f"{seeds_dir}: the seeds folder must be a folder inside {repo_root}")
    for depth in range(1, len(relative.parts) + 1):
        part = repo_root.joinpath(*relative.parts[:depth])
        if part.is_symlink():
            raise ConfigError(
                f"{part}: a symbolic link; the seeds folder must be a real folder in the repository"
            )
    return relative.as_posix()


def load_inputs(seeds_dir: Path, repo_root: Path, formats: set[str]) -> list[RawFile]:
    """Check the manifest against the folder and return every declared file, unread."""
    label = _seeds_label(seeds_dir, repo_root)
    if (seeds_dir / MANIFEST_NAME).is_symlink():
        raise ConfigError(
            f"{label}/{MANIFEST_NAME}: a symbolic link; the manifest must be a regular file"
        )
    manifest = read_seed_manifest(seeds_dir, formats)
    entries = _seed_entries(seeds_dir, manifest.ignore)
    for rel, info in entries.items():
        if stat.S_ISLNK(info.st_mode):
            raise ConfigError(
                f"{label}/{rel}: a symbolic link (to {os.readlink(seeds_dir / rel)}); raw files "
                f"must be regular files inside {label}/: copy the file in and declare it, or list "
                f"the link in `ignore` in {label}/{MANIFEST_NAME}"
            )
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(
                f"{label}/{rel}: not a regular file; remove it or list it in `ignore` in "
                f"{label}/{MANIFEST_NAME}"
            )
    declared = {decl.path for decl in manifest.files}
    undeclared = [rel for rel in entries if rel not in declared]
    if undeclared:
        raise ConfigError(
            f"{label}/{undeclared[0]}: not declared in {label}/{MANIFEST_NAME}; declare its "
            "source, platform, format, language and collection, list it in `ignore`, or remove it"
        )
    files = []
    for k, decl in enumerate(manifest.files, start=1):
        repo_path = f"{label}/{decl.path}"
        if decl.path not in entries:  # every entry left is a regular file: this one is not
            if os.path.lexists(seeds_dir / decl.path):
                raise ConfigError(f"{repo_path}: declared in the manifest but not a file")
            raise ConfigError(f"{repo_path}: declared in the manifest but missing")
        if not SHA256_HEX.fullmatch(decl.sha256):
            raise ConfigError(
                f"{seeds_dir / MANIFEST_NAME} [[files]] #{k} ({decl.path}): sha256 "
                f"{decl.sha256!r} is not 64 lowercase hex digits; record the output of "
                f"`sha256sum {repo_path}`"
            )
        files.append(
            RawFile(
                decl=decl,
                repo_path=repo_path,
                sha256=decl.sha256,
                path=seeds_dir / decl.path,
                size=entries[decl.path].st_size,
            )
        )
    return files

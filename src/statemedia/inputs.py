"""The seeds manifest and raw-file reading: every file declared, present, unchanged and decodable.

`load_inputs` checks the manifest against the folder and returns the declared files; each file's
bytes are checked against its sha256 and decoded when it is read (`RawFile.read_text`). Problems
raise a `BadInputError` / `ConfigError` naming the file and what to do. Nothing is written here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from statemedia.errors import BadInputError, ConfigError
from statemedia.fileio import read_toml
from statemedia.ids import sha256_bytes
from statemedia.vocab import vocabulary

MANIFEST_NAME = "manifest.toml"
IGNORED_NAMES = frozenset({MANIFEST_NAME, "README.md", ".gitattributes"})


@dataclass(frozen=True, slots=True)
class FileDecl:
    """One raw file as the manifest declares it."""

    path: str  # relative to the seeds folder
    sha256: str
    source: str
    platform: str
    format: str
    language: str
    collection: str
    # Format-specific options, e.g. a channel username for t.me links or a JSONL field mapping.
    options: dict[str, Any] = field(default_factory=dict)


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
        if self.text is not None:
            return self.text
        assert self.path is not None
        data = self.path.read_bytes()
        digest = sha256_bytes(data)
        if digest != self.sha256:
            raise BadInputError(
                f"{self.repo_path}: sha256 {digest} differs from the manifest's {self.sha256}; raw "
                "files must never change: restore the original or declare a new file"
            )
        return decode(self.repo_path, data)


def read_manifest(seeds_dir: Path, formats: set[str]) -> list[FileDecl]:
    """Read `manifest.toml` and check every declaration against the closed vocabularies."""
    path = seeds_dir / MANIFEST_NAME
    if not path.is_file():
        raise ConfigError(f"{path}: missing; declare every raw file there")
    data = read_toml(path, ConfigError)
    known = {f.name for f in fields(FileDecl)}
    optional = {"options"}
    decls = []
    for k, entry in enumerate(data.get("files", []), start=1):
        where = f"{path} [[files]] #{k}"
        missing, unknown = sorted(known - optional - set(entry)), sorted(set(entry) - known)
        if missing or unknown:
            raise ConfigError(f"{where}: missing keys {missing}, unknown keys {unknown}")
        decl = FileDecl(**entry)
        for field_name, vocab_name in (("source", "sources"), ("platform", "platforms")):
            if getattr(decl, field_name) not in vocabulary(vocab_name):
                raise ConfigError(
                    f"{where} ({decl.path}): {field_name} {getattr(decl, field_name)!r} is not in "
                    f"schema/vocabularies.json '{vocab_name}'"
                )
        if decl.format not in formats:
            raise ConfigError(
                f"{where} ({decl.path}): unknown format {decl.format!r}; known formats: "
                f"{', '.join(sorted(formats))}"
            )
        decls.append(decl)
    if not decls:
        raise ConfigError(f"{path}: declares no files")
    paths = [d.path for d in decls]
    if len(set(paths)) != len(paths):
        raise ConfigError(f"{path}: a file is declared twice")
    return decls


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


def load_inputs(seeds_dir: Path, repo_root: Path, formats: set[str]) -> list[RawFile]:
    """Check the manifest against the folder and return every declared file, verified and decoded."""
    decls = read_manifest(seeds_dir, formats)
    declared = {d.path for d in decls}
    present = {p.name for p in seeds_dir.iterdir() if p.is_file() and p.name not in IGNORED_NAMES}
    undeclared = sorted(present - declared)
    if undeclared:
        raise ConfigError(
            f"{seeds_dir / undeclared[0]}: not declared in {seeds_dir / MANIFEST_NAME}; declare its "
            "source, platform, format, language and collection, or remove it"
        )
    files = []
    for decl in decls:
        path = seeds_dir / decl.path
        try:
            label = str(path.resolve().relative_to(repo_root.resolve()))
        except ValueError:
            label = str(path)
        if not path.is_file():
            raise ConfigError(f"{label}: declared in the manifest but missing")
        files.append(
            RawFile(
                decl=decl, repo_path=label, sha256=decl.sha256, path=path, size=path.stat().st_size
            )
        )
    return files

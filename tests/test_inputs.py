"""Tests for statemedia.inputs: manifest paths confined to seeds/ and recorded in canonical form, every
file under seeds/ declared or ignored, a strict manifest schema, and JSON strings that are text.

Cases that need a real file outside the scratch repository, a link, a FIFO or bytes that the
bad_inputs/ walker cannot copy are here; each builds a scratch repository in `tmp_path`, runs the
real CLI, and checks the message, the exit code and that nothing was written.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from statemedia.cli import main
from statemedia.errors import BadInputError, ConfigError
from statemedia.inputs import (
    FileDecl,
    RawFile,
    load_inputs,
    lone_surrogate,
    normalise_path,
    read_seed_manifest,
    refuse_lone_surrogates,
)
from statemedia.parse import registry

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "adapters"
ARTICLE = "Some title\n\nWednesday, 4 August, 2021 - 22:07\n\nBody of the article.\n"
SPUTNIK = {"source": "sputnik", "platform": "web", "format": "sputnik_article"}


def toml_value(value: Any) -> str:
    """`value` as a TOML value (strings, numbers, lists and inline tables)."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def declare(path: str, data: bytes | None, **fields: Any) -> dict[str, Any]:
    """A [[files]] entry for `path` (its sha256 from `data`), a Sputnik article unless overridden."""
    digest = hashlib.sha256(data or b"").hexdigest()
    return {
        "path": path,
        "sha256": digest,
        **SPUTNIK,
        "language": "en",
        "collection": "t",
        **fields,
    }


def scratch_repo(
    root: Path,
    files: dict[str, bytes | str],
    entries: list[dict[str, Any]],
    ignore: list[str] | None = None,
) -> Path:
    """A repository at `root`: statemedia.toml, `files` under seeds/, and a manifest of `entries`."""
    seeds = root / "seeds"
    seeds.mkdir(parents=True)
    shutil.copy(REPO / "statemedia.toml", root / "statemedia.toml")
    for name, content in files.items():
        (seeds / name).parent.mkdir(parents=True, exist_ok=True)
        data = content.encode("utf-8") if isinstance(content, str) else content
        (seeds / name).write_bytes(data)
    lines = [f"ignore = {toml_value(ignore)}", ""] if ignore is not None else []
    for entry in entries:
        lines += ["[[files]]", *(f"{k} = {toml_value(v)}" for k, v in entry.items()), ""]
    (seeds / "manifest.toml").write_text("\n".join(lines), encoding="utf-8")
    return root


def snapshot(root: Path) -> dict[str, bytes | str]:
    """Every entry under `root` (links by target, files by content), by relative path."""
    out: dict[str, bytes | str] = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_symlink():
            out[rel] = f"-> {os.readlink(path)}"
        elif path.is_file():
            out[rel] = path.read_bytes()
        elif path.is_dir():
            out[rel] = "dir"
    return out


def refused(root: Path, capsys: pytest.CaptureFixture[str], exit_code: int) -> str:
    """Run `statemedia build` in `root`; check it fails with `exit_code` and writes nothing."""
    before = snapshot(root)
    code = main(["--root", str(root), "build"])
    err = capsys.readouterr().err
    assert code == exit_code, err
    assert err.startswith("statemedia: error: ") and "Traceback" not in err
    after = snapshot(root)
    # Nothing written but the (ignored) lock file beside the dataset folder.
    assert not (root / "dataset").exists()
    assert {k: v for k, v in after.items() if k != ".dataset.lock"} == before
    return err


# --- paths: relative, inside seeds/, canonical -------------------------------------------------


@pytest.mark.parametrize(
    ("declared", "normal"),
    [
        ("a.txt", "a.txt"),
        ("./a.txt", "a.txt"),
        ("sub//b.txt", "sub/b.txt"),
        ("./sub/./b.txt/", "sub/b.txt"),
        ("mfarussia/result.json", "mfarussia/result.json"),
        ("..a.txt", "..a.txt"),  # a name that starts with dots is a name
    ],
)
def test_a_relative_path_is_normalised(declared: str, normal: str) -> None:
    assert normalise_path(declared, "where") == normal


@pytest.mark.parametrize(
    ("declared", "message"),
    [
        ("/etc/passwd", "where: path '/etc/passwd' is absolute; write it relative to the seeds "),
        ("C:/scrapes/a.txt", "where: path 'C:/scrapes/a.txt' is absolute"),
        ("../a.txt", "where: path '../a.txt' goes up with '..'"),
        ("sub/../../a.txt", "where: path 'sub/../../a.txt' goes up with '..'"),
        ("sub/../a.txt", "where: path 'sub/../a.txt' goes up with '..'"),
        ("sub\\a.txt", "where: path 'sub\\\\a.txt' contains a backslash"),
        ("a\x00.txt", "where: path 'a\\x00.txt' contains a control character"),
        ("", "where: path '' names no file"),
        ("./", "where: path './' names no file"),
        (5, "where: path must be a string, got 5"),
    ],
)
def test_a_path_that_is_not_relative_inside_seeds_is_refused(
    declared: object, message: str
) -> None:
    with pytest.raises(ConfigError) as err:
        normalise_path(declared, "where")
    assert str(err.value).startswith(message)


def test_the_committed_seeds_are_recorded_by_their_declared_paths() -> None:
    files = load_inputs(REPO / "seeds", REPO, set(registry()))
    names = sorted(p.name for p in (REPO / "seeds").iterdir() if p.name != "manifest.toml")
    assert [raw.repo_path for raw in files] == [f"seeds/{name}" for name in names]
    assert read_seed_manifest(REPO / "seeds", set(registry())).ignore == ()


def test_an_absolute_path_to_a_real_file_outside_is_refused_unread(tmp_path, capsys) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text(ARTICLE, encoding="utf-8")
    root = scratch_repo(tmp_path / "repo", {}, [declare(str(outside), outside.read_bytes())])
    err = refused(root, capsys, 2)
    assert f"[[files]] #1 ({outside}): path '{outside}' is absolute" in err


def test_a_dotdot_path_to_a_real_file_outside_is_refused(tmp_path, capsys) -> None:
    root = scratch_repo(tmp_path, {}, [declare("../outside.txt", ARTICLE.encode())])
    (tmp_path / "outside.txt").write_text(ARTICLE, encoding="utf-8")
    err = refused(root, capsys, 2)
    assert "[[files]] #1 (../outside.txt): path '../outside.txt' goes up with '..'" in err


def test_a_symlink_to_a_file_outside_the_repository_is_refused(tmp_path, capsys) -> None:
    outside = tmp_path / "elsewhere" / "a.txt"
    outside.parent.mkdir()
    outside.write_text(ARTICLE, encoding="utf-8")
    root = scratch_repo(tmp_path / "repo", {}, [declare("a.txt", outside.read_bytes())])
    (root / "seeds" / "a.txt").symlink_to(outside)
    err = refused(root, capsys, 2)
    assert f"statemedia: error: seeds/a.txt: a symbolic link (to {outside}); raw files" in err


def test_a_symlink_to_another_seed_file_is_refused(tmp_path, capsys) -> None:
    # Decision: no links at all under seeds/, so the declared path is always the file read.
    data = ARTICLE.encode()
    root = scratch_repo(tmp_path, {"a.txt": data}, [declare("a.txt", data), declare("b.txt", data)])
    (root / "seeds" / "b.txt").symlink_to("a.txt")
    err = refused(root, capsys, 2)
    assert "seeds/b.txt: a symbolic link (to a.txt); raw files must be regular files" in err


def test_a_linked_subfolder_is_refused(tmp_path, capsys) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "a.txt").write_text(ARTICLE, encoding="utf-8")
    root = scratch_repo(tmp_path / "repo", {}, [declare("sub/a.txt", ARTICLE.encode())])
    (root / "seeds" / "sub").symlink_to(elsewhere, target_is_directory=True)
    err = refused(root, capsys, 2)
    assert f"seeds/sub: a symbolic link (to {elsewhere})" in err


def test_a_linked_seeds_folder_is_refused(tmp_path, capsys) -> None:
    data = ARTICLE.encode()
    root = scratch_repo(tmp_path, {"a.txt": data}, [declare("a.txt", data)])
    (root / "seeds").rename(root / "real_seeds")
    (root / "seeds").symlink_to(root / "real_seeds", target_is_directory=True)
    err = refused(root, capsys, 2)
    assert f"{root / 'seeds'}: a symbolic link; the seeds folder must be a real folder" in err


def test_a_linked_manifest_is_refused(tmp_path, capsys) -> None:
    data = ARTICLE.encode()
    root = scratch_repo(tmp_path, {"a.txt": data}, [declare("a.txt", data)])
    (root / "seeds" / "manifest.toml").rename(tmp_path / "manifest.toml")
    (root / "seeds" / "manifest.toml").symlink_to(tmp_path / "manifest.toml")
    err = refused(root, capsys, 2)
    assert "seeds/manifest.toml: a symbolic link; the manifest must be a regular file" in err


def test_a_fifo_in_seeds_is_refused(tmp_path, capsys) -> None:
    data = ARTICLE.encode()
    root = scratch_repo(tmp_path, {"a.txt": data}, [declare("a.txt", data)])
    os.mkfifo(root / "seeds" / "pipe")
    err = refused(root, capsys, 2)
    assert "seeds/pipe: not a regular file; remove it or list it in `ignore`" in err


@pytest.mark.parametrize("hidden", [".DS_Store", "notes/README.md", "a/b/c/deep.txt"])
def test_an_undeclared_file_in_any_subfolder_is_refused(tmp_path, capsys, hidden: str) -> None:
    data = ARTICLE.encode()
    root = scratch_repo(tmp_path, {"a.txt": data, hidden: b"x"}, [declare("a.txt", data)])
    err = refused(root, capsys, 2)
    assert f"seeds/{hidden}: not declared in seeds/manifest.toml" in err


def test_declared_ignored_and_normalised_paths_build_with_repo_relative_provenance(
    tmp_path, capsys
) -> None:
    article, emoji_line = ARTICLE.encode(), '{"message": "Pair \\ud83d\\ude00 kept", "id": 7}\n'
    root = scratch_repo(
        tmp_path / "repo",
        {
            "sub/a.txt": article,
            "b.jsonl": emoji_line,
            "notes/README.md": b"# what these scrapes are\n",
            ".DS_Store": b"\x00\x01",
        },
        [
            declare("./sub//a.txt", article),
            declare(
                "b.jsonl",
                emoji_line.encode(),
                source="mfa_russia",
                platform="telegram",
                format="jsonl",
                options={"channel": "MFARussia", "fields": {"text": "message", "id": "id"}},
            ),
        ],
        ignore=["notes", "./.DS_Store", "not-there.txt"],  # an absent ignored path is fine
    )
    out = tmp_path / "out"
    code = main(["--root", str(root), "build", "--out", str(out), "--quiet"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    rows = [
        row
        for split in ("train", "validation", "test")
        for row in pq.read_table(out / f"{split}-00000-of-00001.parquet").to_pylist()
    ]
    assert sorted(row["provenance"]["source_file"] for row in rows) == [
        "seeds/b.jsonl",
        "seeds/sub/a.txt",
    ]
    assert any("Pair 😀 kept" in row["text"] for row in rows)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [entry["path"] for entry in manifest["inputs"]] == ["seeds/sub/a.txt", "seeds/b.jsonl"]
    assert str(tmp_path) not in (out / "manifest.json").read_text(encoding="utf-8")


# --- the manifest's schema and values ----------------------------------------------------------


def test_a_non_utf8_manifest_is_a_config_error(tmp_path, capsys) -> None:
    data = ARTICLE.encode()
    root = scratch_repo(tmp_path, {"a.txt": data}, [declare("a.txt", data, collection="x")])
    manifest = root / "seeds" / "manifest.toml"
    manifest.write_bytes(manifest.read_bytes().replace(b'"x"', b'"r\xe9colte"'))
    err = refused(root, capsys, 2)
    assert f"{manifest}: not UTF-8 at byte" in err


@pytest.mark.parametrize(
    "digest", ["AUTO", "C9CEC351BA7F0A85B1EE899562ED9023AFA7427A1AB8259615106EDA54DA1B50"]
)
def test_a_sha256_that_is_not_lowercase_hex_is_refused(tmp_path, capsys, digest: str) -> None:
    data = ARTICLE.encode()
    root = scratch_repo(tmp_path, {"a.txt": data}, [declare("a.txt", data, sha256=digest)])
    err = refused(root, capsys, 2)
    assert f"[[files]] #1 (a.txt): sha256 '{digest}' is not 64 lowercase hex digits" in err


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"language": "en-GB"}, None),
        ({"language": "zh-Hant-TW"}, None),
        ({"language": "EN"}, "language 'EN' is not a language tag"),
        ({"language": "en_GB"}, "language 'en_GB' is not a language tag"),
        ({"language": ""}, "language is empty"),
        ({"collection": " "}, "collection is empty"),
        ({"source": 3}, "source must be a string, got 3"),
        ({"options": ["channel"]}, "options must be a table"),
        ({"path": "./manifest.toml"}, "the manifest itself, not a raw file"),
    ],
)
def test_file_values_are_typed_and_checked(
    tmp_path: Path, fields: dict[str, Any], message: str | None
) -> None:
    entry = {**declare("a.txt", None), **fields}
    seeds = scratch_repo(tmp_path, {"a.txt": ARTICLE}, [entry]) / "seeds"
    if message is None:
        assert read_seed_manifest(seeds, set(registry())).files[0].language == fields["language"]
        return
    with pytest.raises(ConfigError) as err:
        read_seed_manifest(seeds, set(registry()))
    assert "manifest.toml [[files]] #1" in str(err.value) and message in str(err.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("files = {}\n", "files must be an array of [[files]] tables, got dict {}"),
        ('[files]\npath = "a.txt"\n', "files must be an array of [[files]] tables, got dict"),
        ("", "declares no files"),
        ("ignore = [1]\n", "declares no files"),
    ],
)
def test_the_top_level_is_strict(tmp_path: Path, text: str, message: str) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "manifest.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        read_seed_manifest(seeds, set(registry()))
    assert message in str(err.value)


def test_ignore_entries_are_paths_listed_once(tmp_path: Path) -> None:
    def manifest(ignore: list[Any]) -> Path:
        shutil.rmtree(tmp_path / "seeds", ignore_errors=True)
        return scratch_repo(tmp_path, {}, [declare("a.txt", None)], ignore=ignore) / "seeds"

    assert read_seed_manifest(manifest(["./notes/", "x"]), set(registry())).ignore == (
        "notes",
        "x",
    )
    with pytest.raises(ConfigError, match=r"ignore #1: path must be a string, got 1"):
        read_seed_manifest(manifest([1]), set(registry()))
    with pytest.raises(ConfigError, match=r"ignore #2: path '../x' goes up"):
        read_seed_manifest(manifest(["x", "../x"]), set(registry()))
    with pytest.raises(ConfigError, match=r"ignore #2: 'x/' is listed twice \(as #1\)"):
        read_seed_manifest(manifest(["x", "x/"]), set(registry()))
    with pytest.raises(ConfigError, match=r"\(a.txt\): declared, and also ignored by ignore #1"):
        read_seed_manifest(manifest(["a.txt"]), set(registry()))


# --- JSON strings must be text -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "offset"),
    [
        ('{"t": "plain"}', None),
        ('{"t": "\\ud83d\\ude00"}', None),  # a pair is one character
        ('{"t": "\\uD83D\\uDE00"}', None),
        ('{"t": "\\\\ud800"}', None),  # an escaped backslash, then the letters "ud800"
        ('{"t": "\\u00e9\\n\\""}', None),
        ('{"t": "\\ud800"}', 7),
        ('{"t": "\\\\\\ud800"}', 9),  # an escaped backslash, then a real escape
        ('{"t": "\\udc00"}', 7),  # a low half alone
        ('{"t": "\\ud800\\u0041"}', 7),  # a high half followed by no low half
        ('{"t": "\\ud800 \\udc00"}', 7),  # the halves are not adjacent
        ('{"t": "\\ud83d\\ude00\\ud83d"}', 19),  # a pair, then a high half at the end
    ],
)
def test_lone_surrogate_escapes_are_found(text: str, offset: int | None) -> None:
    assert lone_surrogate(text) == offset
    if offset is None:
        json.loads(text).get("t", "").encode("utf-8")  # it is text
    else:
        with pytest.raises(UnicodeEncodeError):
            json.loads(text)["t"].encode("utf-8")


def test_the_line_of_a_lone_surrogate_is_named() -> None:
    with pytest.raises(BadInputError) as err:
        refuse_lone_surrogates("seeds/a.jsonl", '{"a": 1}\n{"b": 2}\n{"c": "\\udfff"}\n', 10)
    assert str(err.value).startswith(
        "seeds/a.jsonl:12: lone surrogate \\udfff in a JSON string (half of a UTF-16 pair"
    )


def test_only_json_formats_are_checked_for_escapes(tmp_path: Path) -> None:
    text = ARTICLE.replace("Body", "Body \\ud800")  # six ASCII characters in a text scrape
    path = tmp_path / "a.txt"
    path.write_text(text, encoding="utf-8")
    decl = FileDecl(**declare("a.txt", path.read_bytes()))
    assert RawFile(decl, "seeds/a.txt", decl.sha256, path=path).read_text() == text


def test_a_lone_surrogate_in_a_jsonl_line_is_bad_input(tmp_path, capsys) -> None:
    data = '{"message": "fine", "id": 1}\n{"message": "broken \\ud800 text", "id": 2}\n'
    entry = declare(
        "a.jsonl",
        data.encode(),
        source="mfa_russia",
        platform="telegram",
        format="jsonl",
        options={"channel": "MFARussia", "fields": {"text": "message", "id": "id"}},
    )
    root = scratch_repo(tmp_path, {"a.jsonl": data}, [entry])
    err = refused(root, capsys, 3)
    assert "statemedia: error: seeds/a.jsonl:2: lone surrogate \\ud800 in a JSON string" in err


def test_a_lone_surrogate_in_an_export_string_is_bad_input(tmp_path, capsys) -> None:
    lines = (FIXTURES / "result.json").read_text(encoding="utf-8").split("\n")
    number = next(n for n, line in enumerate(lines, 1) if line.startswith('   "text": "Foreign'))
    lines[number - 1] = lines[number - 1].replace("Foreign", "\\udfffForeign")
    data = "\n".join(lines)
    entry = declare(
        "result.json",
        data.encode(),
        source="mfa_russia",
        platform="telegram",
        format="telegram_export",
        options={"channel": "MFARussia"},
    )
    root = scratch_repo(tmp_path, {"result.json": data}, [entry])
    err = refused(root, capsys, 3)
    assert f"seeds/result.json:{number}: lone surrogate \\udfff in a JSON string" in err

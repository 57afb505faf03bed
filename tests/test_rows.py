"""The row contract end to end: byte offsets and raw evidence on every row of every release and of
a build over real-format fixtures; the best copy kept when one message arrives in two formats;
collected_at and the engagement snapshot; the version bump a release must make."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from statemedia.build import build_tables
from statemedia.cli import main
from statemedia.config import load_config
from statemedia.errors import BadInputError, ConfigError
from statemedia.ids import sha256_bytes
from statemedia.inputs import collected_at
from statemedia.release.layout import release_versions
from statemedia.release.semver import Bump, extends, next_version, required_bump
from statemedia.stages import byte_offsets
from statemedia.vocab import SPLITS, Table

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
POST_TABLES = (*SPLITS, Table.LINK_TEASERS)


def release_rows(release: Path) -> list[dict]:
    return [
        row
        for path in sorted(release.glob("*.parquet"))
        if not path.name.startswith("annotations")
        for row in pq.read_table(path).to_pylist()
    ]


def check_raw_spans(rows: list[dict], root: Path) -> int:
    """Every row's bytes are its lines, and its evidence is verbatim inside them; rows checked."""
    raws: dict[str, bytes] = {}
    for row in rows:
        prov = row["provenance"]
        raw = raws.setdefault(prov["source_file"], (root / prov["source_file"]).read_bytes())
        text = raw.decode("utf-8").removeprefix("\ufeff")
        lines = "\n".join(text.split("\n")[prov["line_start"] - 1 : prov["line_end"]])
        assert text[prov["char_start"] : prov["char_end"]] == lines, row["post_id"]
        if "byte_start" not in prov:  # releases before schema 1.1.0 have code-point offsets only
            continue
        span = raw[prov["byte_start"] : prov["byte_end"]].decode("utf-8")
        assert span == lines, row["post_id"]
        for piece in (row["date_evidence"] or "").split(" | "):
            assert piece in span, (row["post_id"], piece)
        for event in row["event_dates"]:
            assert event["evidence"] in span, (row["post_id"], event)
    return len(rows)


def test_byte_offsets_count_utf8_bytes_and_a_byte_order_mark():
    text = "aé🇷🇺\nb"
    offsets = byte_offsets(text, [0, 1, 2, 6, 7], skipped=3)
    for char, byte in offsets.items():
        assert byte == 3 + len(text[:char].encode("utf-8"))
    assert byte_offsets("abc", [2], skipped=3) == {2: 5}


def test_every_row_of_every_release_points_at_its_exact_lines_bytes_and_evidence():
    versions = release_versions(REPO / "dataset")
    assert versions
    with_bytes = 0
    for version in versions:
        rows = release_rows(REPO / "dataset" / "data" / version)
        assert check_raw_spans(rows, REPO) == len(rows) > 0
        with_bytes += all("byte_start" in row["provenance"] for row in rows)
    assert with_bytes >= 1, "no release has byte offsets yet"


# --- a seeds folder of real-format fixtures -------------------------------------------------------

EXPORT = FIXTURES / "rows" / "merge_export.json"
PREVIEW = FIXTURES / "rows" / "merge_preview.txt"


def seeds_repo(tmp_path: Path, files: list[tuple[Path, str, str, dict[str, str]]]) -> Path:
    """A repository whose seeds are `files` (path, format, extra TOML lines, options)."""
    root = tmp_path / "repo"
    seeds = root / "seeds"
    seeds.mkdir(parents=True)
    entries = []
    for path, fmt, extra, options in files:
        shutil.copy(path, seeds / path.name)
        inline = ", ".join(f'{k} = "{v}"' for k, v in options.items())
        entries.append(
            f'[[files]]\npath = "{path.name}"\n'
            f'sha256 = "{sha256_bytes((seeds / path.name).read_bytes())}"\n'
            f'source = "mfa_russia"\nplatform = "telegram"\nformat = "{fmt}"\n'
            f'language = "en"\ncollection = "row fixtures"\n{extra}'
            + (f"options = {{ {inline} }}\n" if inline else "")
        )
    (seeds / "manifest.toml").write_text("\n".join(entries), encoding="utf-8")
    shutil.copy(REPO / "statemedia.toml", root / "statemedia.toml")
    return root


def merged_build(tmp_path: Path):
    root = seeds_repo(
        tmp_path,
        [
            (PREVIEW, "telegram_web_preview", "", {}),
            (EXPORT, "telegram_export", "", {"channel": "TestMinistry"}),
        ],
    )
    return root, build_tables(root, load_config(root / "statemedia.toml"))


def table_rows(tables, names=POST_TABLES) -> list[dict]:
    return [row for name in names for row in tables[name].to_pylist()]


def test_the_export_copy_is_kept_over_its_web_preview_copy(tmp_path):
    root, build = merged_build(tmp_path)
    rows = table_rows(build.tables)
    assert len(rows) == 3  # three messages, each in both files
    for row in rows:
        assert row["native_id"] in {"501", "502", "503"}, row["post_id"]
        assert row["channel"] == "TestMinistry"
        assert row["date_confidence"] == "stated" and row["published_at"] is not None
        [copy] = row["duplicates"]
        assert copy["provenance"]["source_file"].endswith("merge_preview.txt")
        assert copy["url"] is None and copy["published_at"] is None
        assert copy["post_id"].startswith("mfa_russia-") and copy["post_id"] != row["post_id"]
    # The preview copy of 503 has an inferred date (its anniversary formula); the export's stated
    # timestamp still wins, and the formula's historical date is an event date, never the date.
    anniversary = next(row for row in rows if row["native_id"] == "503")
    assert anniversary["published_date"] == date(2025, 3, 6)
    assert {"date": date(1950, 3, 6), "kind": "anniversary"}.items() <= anniversary["event_dates"][
        0
    ].items()
    assert check_raw_spans(rows + [d for r in rows for d in _as_rows(r)], root) == 6


def _as_rows(row: dict) -> list[dict]:
    """A kept row's removed copies as rows with their own provenance (for the span check)."""
    return [
        {
            "post_id": copy["post_id"],
            "provenance": copy["provenance"],
            "date_evidence": None,
            "event_dates": [],
        }
        for copy in row["duplicates"]
    ]


def test_published_date_is_the_moscow_date_of_a_utc_time_near_midnight(tmp_path):
    _, build = merged_build(tmp_path)
    talks = next(row for row in table_rows(build.tables) if row["native_id"] == "501")
    # date_unixtime 1741040100 is 2025-03-03 22:15 UTC, 01:15 on 4 March in Moscow, which is what
    # the export's local `date` shows (the exporting computer was in UTC+3).
    assert talks["published_at"] == datetime(2025, 3, 3, 22, 15, tzinfo=UTC)
    assert talks["published_date"] == date(2025, 3, 4)
    assert "1741040100" in talks["date_evidence"]
    assert "Europe/Moscow" in talks["date_note"]
    assert talks["media"] == ["photo"]
    assert build.tables[Table.TRAIN].schema.field("published_at").type == pa.timestamp(
        "ms", tz="UTC"
    )


def test_event_dates_of_a_heading_are_read_and_kept_out_of_the_publication_date(tmp_path):
    _, build = merged_build(tmp_path)
    briefing = next(row for row in table_rows(build.tables) if row["native_id"] == "502")
    assert [(e["date"], e["kind"]) for e in briefing["event_dates"]] == [
        (date(2025, 3, 5), "event")
    ]
    assert briefing["published_date"] == date(2025, 3, 5)  # from the timestamp, not the heading


# --- collected_at and the engagement snapshot -----------------------------------------------------


def test_collected_at_is_an_instant_with_its_offset():
    assert collected_at(datetime(2025, 3, 7, 21, 0, tzinfo=UTC), "x") == datetime(
        2025, 3, 7, 21, 0, tzinfo=UTC
    )
    assert collected_at("2025-03-08T00:30:00+03:00", "x") == datetime(
        2025, 3, 7, 21, 30, tzinfo=UTC
    )
    for naive in (datetime(2025, 3, 7, 21, 0), "2025-03-07", date(2025, 3, 7), "soon"):
        with pytest.raises(ConfigError, match="collected_at must be a date and time with its UTC"):
            collected_at(naive, "x")


def reaction_export(tmp_path: Path) -> Path:
    """The merge export with one message given reactions (a real Desktop export field)."""
    text = EXPORT.read_text(encoding="utf-8")
    text = text.replace(
        '   "id": 502,\n',
        '   "id": 502,\n   "reactions": [\n    {\n     "type": "emoji",\n     "count": 41,\n'
        '     "emoji": "👍"\n    }\n   ],\n',
    )
    path = tmp_path / "reactions.json"
    path.write_text(text, encoding="utf-8")
    return path


def test_counts_carry_the_time_they_were_observed(tmp_path):
    path = reaction_export(tmp_path)
    root = seeds_repo(
        tmp_path,
        [(path, "telegram_export", "collected_at = 2025-03-07T21:00:00Z\n", {"channel": "T1"})],
    )
    build = build_tables(root, load_config(root / "statemedia.toml"))
    rows = {row["native_id"]: row for row in table_rows(build.tables)}
    assert rows["502"]["reactions"] == [{"emoji": "👍", "count": 41}]
    assert rows["502"]["metrics_observed_at"] == datetime(2025, 3, 7, 21, 0, tzinfo=UTC)
    assert rows["501"]["reactions"] == [] and rows["501"]["metrics_observed_at"] is None
    [entry] = build.manifest.inputs
    assert entry.collected_at == "2025-03-07T21:00:00Z"


def test_counts_without_collected_at_are_refused(tmp_path):
    root = seeds_repo(
        tmp_path, [(reaction_export(tmp_path), "telegram_export", "", {"channel": "T1"})]
    )
    with pytest.raises(
        BadInputError, match=r"reactions\.json:\d+: message T1/502 carries engagement"
    ):
        build_tables(root, load_config(root / "statemedia.toml"))


def test_a_post_published_after_its_file_was_collected_is_refused(tmp_path):
    root = seeds_repo(
        tmp_path,
        [(EXPORT, "telegram_export", "collected_at = 2025-03-05T12:00:00Z\n", {"channel": "T1"})],
    )
    with pytest.raises(BadInputError, match="after the file was collected"):
        build_tables(root, load_config(root / "statemedia.toml"))


# --- the version bump ------------------------------------------------------------------------------


def tab(rows: list[dict], schema: pa.Schema | None = None) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=schema)


PROV = pa.struct([("line_start", pa.int64())])
PROV_MORE = pa.struct([("line_start", pa.int64()), ("byte_start", pa.int64())])
OLD = pa.schema([("post_id", pa.string()), ("text", pa.string()), ("provenance", PROV)])


def old_table() -> pa.Table:
    return tab(
        [
            {"post_id": "a", "text": "one", "provenance": {"line_start": 1}},
            {"post_id": "b", "text": "two", "provenance": {"line_start": 5}},
        ],
        OLD,
    )


def test_struct_members_added_extend_a_type_and_a_retype_does_not():
    assert extends(PROV, PROV_MORE) and extends(pa.list_(PROV), pa.list_(PROV_MORE))
    assert not extends(PROV_MORE, PROV)
    assert not extends(pa.int64(), pa.string())


@pytest.mark.parametrize(
    ("rows", "schema", "bump", "reason"),
    [
        # The same data: a patch.
        (
            [
                {"post_id": "a", "text": "one", "provenance": {"line_start": 1}},
                {"post_id": "b", "text": "two", "provenance": {"line_start": 5}},
            ],
            OLD,
            Bump.PATCH,
            None,
        ),
        # A struct member and a column added, values unchanged: minor.
        (
            [
                {"post_id": "a", "text": "one", "provenance": {"line_start": 1, "byte_start": 0}},
                {"post_id": "b", "text": "two", "provenance": {"line_start": 5, "byte_start": 9}},
            ],
            pa.schema([*OLD.remove(2), ("provenance", PROV_MORE)]),
            Bump.MINOR,
            "struct member(s) added in: provenance",
        ),
        # A value corrected: minor.
        (
            [
                {"post_id": "a", "text": "one!", "provenance": {"line_start": 1}},
                {"post_id": "b", "text": "two", "provenance": {"line_start": 5}},
            ],
            OLD,
            Bump.MINOR,
            "values changed in text (1 row(s))",
        ),
        # A released post gone: major, naming it.
        (
            [{"post_id": "a", "text": "one", "provenance": {"line_start": 1}}],
            OLD,
            Bump.MAJOR,
            "1 post_id(s) of v1.0.0 are no longer rows of train: b",
        ),
        # A column retyped: major.
        (
            [
                {"post_id": "a", "text": 1, "provenance": {"line_start": 1}},
                {"post_id": "b", "text": 2, "provenance": {"line_start": 5}},
            ],
            pa.schema([("post_id", pa.string()), ("text", pa.int64()), ("provenance", PROV)]),
            Bump.MAJOR,
            "column(s) retyped: text (string -> int64)",
        ),
    ],
)
def test_required_bump(rows, schema, bump, reason):
    report = required_bump("v1.0.0", {Table.TRAIN: old_table()}, {Table.TRAIN: tab(rows, schema)})
    assert report.required == bump
    if reason is None:
        assert report.reasons == ()
    else:
        assert any(reason in line for line in report.reasons), report.reasons


def test_next_version():
    assert next_version("v1.4.2", Bump.PATCH) == "1.4.3"
    assert next_version("v1.4.2", Bump.MINOR) == "1.5.0"
    assert next_version("v1.4.2", Bump.MAJOR) == "2.0.0"


def test_release_refuses_a_bump_smaller_than_its_changes_and_writes_nothing(tmp_path, capsys):
    root = seeds_repo(tmp_path, [(EXPORT, "telegram_export", "", {"channel": "T1"})])
    assert main(["--root", str(root), "release", "--version", "1.0.0", "--date", "2026-12-01"]) == 0
    # One message more: rows added, a minor release at least.
    grown = tmp_path / "grown.json"
    grown.write_text(
        EXPORT.read_text(encoding="utf-8").replace(
            ' "messages": [\n',
            ' "messages": [\n  {\n   "id": 500,\n   "type": "message",\n'
            '   "date": "2025-03-02T12:00:00",\n   "date_unixtime": "1740906000",\n'
            '   "text": "A new message about a consular matter.",\n'
            '   "text_entities": [\n    {\n     "type": "plain",\n'
            '     "text": "A new message about a consular matter."\n    }\n   ]\n  },\n',
        ),
        encoding="utf-8",
    )
    seeds = root / "seeds"
    (seeds / EXPORT.name).unlink()
    shutil.copy(grown, seeds / EXPORT.name)
    manifest = seeds / "manifest.toml"
    old_digest = sha256_bytes(EXPORT.read_bytes())
    manifest.write_text(
        manifest.read_text().replace(old_digest, sha256_bytes((seeds / EXPORT.name).read_bytes()))
    )
    capsys.readouterr()
    assert main(["--root", str(root), "release", "--version", "1.0.1"]) == 4
    err = capsys.readouterr().err
    assert "needs at least a minor release" in err and "1 row(s) added" in err
    assert "choose 1.1.0 or later" in err
    assert release_versions(root / "dataset") == ["v1.0.0"]
    assert main(["--root", str(root), "release", "--version", "1.1.0"]) == 0

"""`dataset/data/<version>/croissant.json`: MLCommons Croissant 1.0 metadata (with the RAI vocabulary).

`render_croissant` turns one release's manifest into deterministic JSON-LD: one FileObject per file
(relative `contentUrl`, manifest sha256) and one RecordSet per non-empty table, fields from the row
schema. A table of one file is read from its FileObject. A table of several shards also gets a
`cr:FileSet` (`<table>-shards`) whose `includes` pattern matches exactly its shards, and its fields
read that: mlcroissant 1.1.1 unions a local FileSet's files in name order, that is in row order, but
loads no record from a FileSet `containedIn` Parquet FileObjects. It does not hash a FileSet's files;
the shards' sha256 are in their FileObjects, the manifest and SHA256SUMS (`statemedia verify`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from statemedia.config import ProjectInfo
from statemedia.errors import ReleaseError
from statemedia.fileio import read_text
from statemedia.release.cards import split_unit
from statemedia.release.layout import parse_version, shard_pattern
from statemedia.release.manifest import FileEntry, Manifest
from statemedia.release.schema import Column, columns
from statemedia.vocab import REPO_ROOT, Table, annotation_schema, post_schema

CROISSANT_1_0 = "http://mlcommons.org/croissant/1.0"

# The @context of the Croissant 1.0 specification, written out (not taken from mlcroissant, which
# is only a test dependency) so that the file does not change when mlcroissant is upgraded.
CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}

PARQUET = "application/x-parquet"

TABLE_DESCRIPTIONS = {
    Table.TRAIN: "Training split: articles and Telegram posts.",
    Table.VALIDATION: "Validation split: articles and Telegram posts.",
    Table.TEST: "Test split: articles and Telegram posts.",
    Table.ANNOTATIONS: "Human annotations under pseudonyms, stored apart from the text.",
    Table.LINK_TEASERS: (
        "Navigation teasers ('Read more' links: headline plus one-line summary, no article body), "
        "kept apart from the splits."
    ),
}


_CROISSANT_TYPES = {
    "string": "sc:Text",
    "date": "sc:Date",
    "timestamp": "sc:DateTime",
    "integer": "sc:Integer",
    "number": "sc:Float",
    "boolean": "sc:Boolean",
}


def _scalar_type(column: Column) -> str:
    if column.kind not in _CROISSANT_TYPES:
        raise ValueError(f"no Croissant dataType for column kind {column.kind!r}")
    return _CROISSANT_TYPES[column.kind]


def _description(column: Column) -> str:
    text, values = column.description, column.enum
    # Closed vocabularies are expanded into `enum` by post_schema(); name the values unless the
    # schema's own description already does.
    if values and not all(v in text for v in values):
        text = f"{text} (one of: {', '.join(values)})" if text else f"One of: {', '.join(values)}"
    return text


def _field_head(field_id: str, column: Column) -> dict[str, Any]:
    head: dict[str, Any] = {"@type": "cr:Field", "@id": field_id, "name": column.name}
    description = _description(column)
    if description:
        head["description"] = description
    return head


def _source(origin: dict[str, Any], column: str, json_path: str | None) -> dict[str, Any]:
    source: dict[str, Any] = {**origin, "extract": {"column": column}}
    if json_path:
        # A sub-field reads its top-level Parquet column (a struct, or a list of structs, which
        # pandas gives as dicts) and picks its own key with a JSONPath transform.
        source["transform"] = {"jsonPath": json_path}
    return source


def record_set_fields(
    record_set: str, origin: dict[str, Any], schema: dict[str, Any] | None = None
) -> tuple[list[dict[str, Any]], list[str]]:
    """The fields of one RecordSet, read from `origin` (`{"fileObject": {"@id": ...}}` or
    `{"fileSet": ...}`), and the schema paths left out because they cannot load.

    Top-level scalars and lists of scalars (`repeated`) are leaves; a struct or a list of structs
    gets one scalar sub-field per key. mlcroissant 1.1.1 puts a sub-field's values under its direct
    parent's id at the top of the record, so anything nested one level deeper (e.g.
    `duplicates[].provenance`) would come out detached from its parent: such paths are left out.
    """
    fields, omitted = [], []
    for column in columns(schema or post_schema()):
        name = column.name
        field = _field_head(f"{record_set}/{name}", column)
        item = column
        if column.kind == "list":
            assert column.item is not None
            field["repeated"] = True
            item = column.item
        if item.kind != "struct":
            field["dataType"] = _scalar_type(item)
            field["source"] = _source(origin, name, None)
            fields.append(field)
            continue
        sub_fields = []
        for child in item.fields:
            if child.kind in ("struct", "list"):
                omitted.append(f"{name}{'[]' if field.get('repeated') else ''}.{child.name}")
                continue
            sub = _field_head(f"{record_set}/{name}/{child.name}", child)
            sub["dataType"] = _scalar_type(child)
            sub["source"] = _source(origin, name, f"$.{child.name}")
            sub_fields.append(sub)
        field["subField"] = sub_fields
        fields.append(field)
    return fields, omitted


def _citation() -> dict[str, Any]:
    path = REPO_ROOT / "CITATION.cff"
    try:
        return yaml.safe_load(read_text(path, ReleaseError))
    except yaml.YAMLError as err:
        raise ReleaseError(f"{path}: cannot read citation metadata: {err}") from err


def _author_name(author: dict[str, Any]) -> str:
    if "name" in author:
        return str(author["name"])
    return " ".join(str(author[k]) for k in ("given-names", "family-names") if k in author)


def _cite_as(citation: dict[str, Any], version: str) -> str:
    # No year: CITATION.cff's date-released belongs to whichever version it names, and this
    # file must not change when CITATION.cff is bumped for a later release.
    authors = " and ".join(
        "{" + _author_name(a) + "}" if "name" in a else _author_name(a) for a in citation["authors"]
    )
    key = "statemedia_" + version.replace(".", "_")
    return (
        f"@misc{{{key},\n"
        f"  title = {{{citation['title']}}},\n"
        f"  author = {{{authors}}},\n"
        f"  version = {{{version}}},\n"
        f"  note = {{Dataset release {version}. Credit the original publishers (Russian Ministry "
        f"of Foreign Affairs, TASS, Sputnik) when quoting texts.}}\n"
        f"}}"
    )


def _creators(citation: dict[str, Any]) -> list[dict[str, str]]:
    out = []
    for author in citation["authors"]:
        kind = "sc:Organization" if "name" in author else "sc:Person"
        out.append({"@type": kind, "name": _author_name(author)})
    return out


def _counts(mapping: Mapping[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in mapping.items()) if mapping else "none"


def _preprocessing(manifest: Manifest) -> list[str]:
    versions, stages, config = manifest.versions, manifest.stage_counts, manifest.config
    parse, clean, dedup = stages.parse, stages.clean, stages.dedup
    dcfg, scfg = config.dedup, config.split
    return [
        "Raw seed files are declared with their sha256 in seeds/manifest.toml and never modified; "
        f"one parser per format ({', '.join(versions.parsers)}) splits them into "
        f"records: {parse.records} records from {parse.files} files. "
        "Every raw line gets a category; the per-file line account is in manifest.json.",
        f"Cleaning ({versions.clean}): placeholders and link anchors removed, repeated "
        "bodies collapsed, Unicode NFC, whitespace normalised. "
        f"Kept {clean.kept} of {clean.seen} records "
        f"(by kind: {_counts(clean.kept_by_kind)}); dropped: "
        f"{_counts(clean.dropped)}; records with lines removed: "
        f"{_counts(clean.records_with_lines_removed)}.",
        f"Deduplication ({versions.dedup}): exact duplicates, then MinHash/LSH "
        f"candidates ({dcfg.shingle_words}-word shingles, {dcfg.num_perm} "
        f"permutations, {dcfg.bands} bands of {dcfg.rows} rows) verified "
        f"by exact Jaccard >= {dcfg.threshold}. Kept {dedup.kept} of "
        f"{dedup.seen}; removed: {_counts(dedup.removed)}. Each removed "
        "copy is recorded in the kept row's `duplicates`.",
        f"Split ({versions.split}): sha256 of the seed '{scfg.seed}' and "
        f"the {split_unit(manifest)}, target ratios {scfg.train} / "
        f"{scfg.validation} / {scfg.test}; released posts never change "
        f"split. Rows: {_counts(stages.split)}.",
    ]


def _annotation_protocol(manifest: Manifest) -> str:
    if not manifest.has_labels:
        return "No human labels yet: this release contains no topic or stance labels."
    return (
        f"This release includes {manifest.rows(Table.ANNOTATIONS)} human annotations (the "
        "`annotations` record set, annotators under pseudonyms), stored apart from the text and "
        "keyed by post_id, and gold labels in the posts' label_* columns; the label scheme and "
        "codebook are in annotation/GUIDELINES.md and the tallies in DATACARD.md, section 7. "
        "Machine pre-annotations are never published."
    )


def _check_files(release_dir: Path, files: tuple[FileEntry, ...]) -> None:
    # Describe only files that are really there; hashes are `statemedia verify`'s job.
    for entry in files:
        path = release_dir / entry.path
        if not path.is_file():
            raise ReleaseError(f"{path}: listed in the manifest but missing")
        if path.stat().st_size != entry.bytes:
            raise ReleaseError(
                f"{path}: {path.stat().st_size} bytes != manifest {entry.bytes}; "
                "run `statemedia verify`"
            )


def croissant_metadata(
    release_dir: Path, manifest: Manifest, version: str, project: ProjectInfo
) -> dict[str, Any]:
    """The Croissant 1.0 JSON-LD document of one release, as a dict."""
    folder_version = parse_version(version)
    if manifest.version != folder_version:
        raise ReleaseError(
            f"{release_dir}: manifest version {manifest.version!r} != {folder_version!r}"
        )
    plain_version = folder_version.removeprefix("v")
    files = manifest.files
    _check_files(release_dir, files)
    schema = post_schema()
    citation = _citation()

    tables = [table for table in Table if manifest.shards(table)]
    distribution: list[dict[str, Any]] = []
    origins: dict[Table, dict[str, Any]] = {}
    for table in tables:
        shards = manifest.shards(table)
        for number, entry in enumerate(shards):
            where = f", shard {number + 1} of {len(shards)}" if len(shards) > 1 else ""
            distribution.append(
                {
                    "@type": "cr:FileObject",
                    "@id": entry.path,
                    "name": entry.path,
                    "description": f"Table '{table}'{where}: {entry.rows} rows.",
                    # Relative to croissant.json, which sits next to the Parquet files.
                    "contentUrl": entry.path,
                    "contentSize": f"{entry.bytes} B",
                    "encodingFormat": PARQUET,
                    "sha256": entry.sha256,
                }
            )
        if len(shards) == 1:
            origins[table] = {"fileObject": {"@id": shards[0].path}}
            continue
        file_set = f"{table}-shards"
        distribution.append(
            {
                "@type": "cr:FileSet",
                "@id": file_set,
                "name": file_set,
                "description": (
                    f"Table '{table}': its {len(shards)} shards ({manifest.rows(table)} rows), "
                    "read in name order, which is row order."
                ),
                "encodingFormat": PARQUET,
                "includes": shard_pattern(table, len(shards)),
            }
        )
        origins[table] = {"fileSet": {"@id": file_set}}

    record_sets = []
    for table in tables:
        # A RecordSet with no records only confuses loaders (as for the HF card's splits).
        count = manifest.rows(table)
        if not count:
            continue
        is_annotations = table == Table.ANNOTATIONS
        table_schema = annotation_schema() if is_annotations else schema
        fields, omitted = record_set_fields(table, origins[table], table_schema)
        description = TABLE_DESCRIPTIONS[table]
        description += (
            f" {count} rows, one per human annotation; columns follow "
            "schema/annotation.schema.json."
            if is_annotations
            else f" {count} rows, one per post; columns follow schema/post.schema.json."
        )
        if omitted:
            description += (
                f" Present in the Parquet file but not declared here: {', '.join(omitted)} "
                "(nested two levels deep, which mlcroissant 1.1.1 loads detached from its parent)."
            )
        record_sets.append(
            {
                "@type": "cr:RecordSet",
                "@id": table,
                "name": table,
                "description": description,
                "key": (
                    [{"@id": f"{table}/post_id"}, {"@id": f"{table}/annotator"}]
                    if is_annotations
                    else {"@id": f"{table}/post_id"}
                ),
                "field": fields,
            }
        )

    rows = {str(table): manifest.rows(table) for table in tables}
    sources = sorted({i.source for i in manifest.inputs})
    languages = manifest.languages()
    return {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "name": "statemedia",
        "description": (
            "A versioned research corpus of Russian official foreign-policy messaging in English: "
            "posts of the Russian Ministry of Foreign Affairs' English Telegram channel and English "
            "articles of the state news agencies TASS and Sputnik. Every row keeps its provenance "
            "(raw file, sha256, line and character span, parser); dates carry a confidence level "
            "and evidence; removed duplicates are recorded on the kept row. The texts are state "
            "messaging, collected to be studied, and are not fact-checked. Read DATACARD.md before "
            f"use. Release {plain_version}: {_counts(rows)} rows; sources: {', '.join(sources)}."
        ),
        "conformsTo": CROISSANT_1_0,
        "version": plain_version,
        **({"datePublished": manifest.date_released} if manifest.date_released else {}),
        **({"url": project.homepage} if project.homepage else {}),
        "license": {
            "@type": "sc:CreativeWork",
            "name": "other: third-party news text",
            "description": (
                "Copyright in the texts remains with their publishers (Ministry of Foreign Affairs "
                "of the Russian Federation, TASS, Sputnik / Rossiya Segodnya); the maintainers "
                "grant no licence to it and share the corpus for non-commercial research. The "
                "project's code is MIT-licensed. See DATACARD.md, section 10."
            ),
        },
        "citeAs": _cite_as(citation, plain_version),
        "creator": _creators(citation),
        "keywords": list(citation.get("keywords", [])),
        "inLanguage": languages[0] if len(languages) == 1 else languages,
        "distribution": distribution,
        "recordSet": record_sets,
        "rai:dataCollection": (
            "Plain-text scrapes (copies of rendered web pages and Telegram web previews) stored in "
            "seeds/ and declared with sha256, source, platform and format in seeds/manifest.toml. "
            "Who collected them, when, with which tool, from which URLs and under which selection "
            "criteria is unknown; seed metadata is unverified. "
            f"{len(manifest.inputs)} raw files are used in this release."
        ),
        "rai:dataCollectionType": ["Web Scraping"],
        "rai:dataPreprocessingProtocol": _preprocessing(manifest),
        "rai:dataAnnotationProtocol": [_annotation_protocol(manifest)],
        "rai:dataBiases": [
            "Source selection: three outlets, all Russian state bodies or state-owned media; no "
            "independent or non-Russian outlets and no Russian-language editions.",
            "The English editions address audiences abroad; their framing can differ from the "
            "same publishers' Russian-language output.",
            "Small, opportunistic, non-random excerpts: volume over time reflects collection, not "
            "publishing activity; Sputnik is represented by very little text.",
        ],
        "rai:dataLimitations": [
            "Official narratives, not fact-checked; not a source of factual claims.",
            "Dates are often inferred (datelines without a year, Telegram excerpts without "
            "timestamps): use date_confidence and date_evidence.",
            "No engagement metrics, media, comments or reader data.",
            "Residual scrape artefacts and imperfect near-duplicate decisions may remain.",
        ],
        "rai:dataUseCases": [
            "Intended: descriptive and comparative research on state foreign-policy "
            "communication (framing, narratives, topics, agenda alignment); methods research on "
            "provenance, deduplication and date inference; teaching source criticism.",
            "Out of scope: using the texts as factual claims; training models to generate "
            "propaganda or imitate these outlets; profiling individuals; measuring reach or "
            "reception.",
        ],
        "rai:dataSocialImpact": (
            "The texts contain one-sided claims about real people, groups and states. Present them "
            "as quoted state messaging, not as fact, and avoid re-amplifying them out of context. "
            "Sanctions law may restrict redistributing some sources (e.g. Sputnik in the EU); see "
            "DATACARD.md, sections 3 and 10."
        ),
        "rai:personalSensitiveInformation": [
            "Names of public officials and other people mentioned in the news. No account-level "
            "data about subscribers or readers, no engagement metrics, no comments.",
            "Sensitive topics (war, sanctions, accusations against states and individuals) as the "
            "outlets stated them.",
        ],
        "rai:dataReleaseMaintenancePlan": (
            "Semantic versioning adapted to data (MAJOR: rows removed, ids or schema changed; "
            "MINOR: rows, columns or labels added; PATCH: documentation only). Released versions "
            "are immutable and checksummed (manifest.json, `statemedia verify`); builds are "
            f"deterministic. Errata and takedown requests: {_contact(project)}; they are fixed "
            "in a new release."
        ),
    }


def _contact(project: ProjectInfo) -> str:
    if project.contact:
        return project.contact
    return "the maintainers have not published a contact address yet"


def render_croissant(
    release_dir: Path, manifest: Manifest, version: str, project: ProjectInfo
) -> str:
    """The text of `croissant.json` for one release (deterministic: no clock, no absolute paths)."""
    document = croissant_metadata(release_dir, manifest, version, project)
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

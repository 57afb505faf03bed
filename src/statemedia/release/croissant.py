"""`dataset/data/<version>/croissant.json`: MLCommons Croissant 1.0 metadata (with the RAI vocabulary).

`render_croissant` turns one release's manifest into deterministic JSON-LD: one FileObject per file
(relative `contentUrl`, manifest sha256) and one RecordSet per non-empty table, fields from the row schema.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from statemedia.errors import ReleaseError
from statemedia.release.layout import parse_version
from statemedia.vocab import REPO_ROOT, annotation_schema, post_schema

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
    "train": "Training split: articles and Telegram posts.",
    "validation": "Validation split: articles and Telegram posts.",
    "test": "Test split: articles and Telegram posts.",
    "link_teasers": (
        "Navigation teasers ('Read more' links: headline plus one-line summary, no article body), "
        "kept apart from the splits."
    ),
}


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    return root["$defs"][ref.removeprefix("#/$defs/")] if ref else node


def _kind(node: dict[str, Any]) -> str:
    kinds = node["type"] if isinstance(node["type"], list) else [node["type"]]
    return next(k for k in kinds if k != "null")


def _scalar_type(node: dict[str, Any]) -> str:
    kind = _kind(node)
    if kind == "string":
        return "sc:Date" if node.get("format") == "date" else "sc:Text"
    types = {"integer": "sc:Integer", "number": "sc:Float", "boolean": "sc:Boolean"}
    if kind not in types:
        raise ValueError(f"no Croissant dataType for JSON Schema type {kind!r}")
    return types[kind]


def _description(node: dict[str, Any]) -> str:
    text = node.get("description", "")
    values = node.get("enum")
    # Closed vocabularies are expanded into `enum` by post_schema(); name the values unless the
    # schema's own description already does.
    if values and not all(v in text for v in values):
        text = f"{text} (one of: {', '.join(values)})" if text else f"One of: {', '.join(values)}"
    return text


def _field_head(field_id: str, name: str, node: dict[str, Any]) -> dict[str, Any]:
    head: dict[str, Any] = {"@type": "cr:Field", "@id": field_id, "name": name}
    description = _description(node)
    if description:
        head["description"] = description
    return head


def _source(file_id: str, column: str, json_path: str | None) -> dict[str, Any]:
    source: dict[str, Any] = {"fileObject": {"@id": file_id}, "extract": {"column": column}}
    if json_path:
        # A sub-field reads its top-level Parquet column (a struct, or a list of structs, which
        # pandas gives as dicts) and picks its own key with a JSONPath transform.
        source["transform"] = {"jsonPath": json_path}
    return source


def record_set_fields(
    record_set: str, file_id: str, schema: dict[str, Any] | None = None
) -> tuple[list[dict[str, Any]], list[str]]:
    """The fields of one RecordSet, and the schema paths left out because they cannot load.

    Top-level scalars and lists of scalars (`repeated`) are leaves; a struct or a list of structs
    gets one scalar sub-field per key. mlcroissant 1.1.1 puts a sub-field's values under its direct
    parent's id at the top of the record, so anything nested one level deeper (e.g.
    `duplicates[].provenance`) would come out detached from its parent: such paths are left out.
    """
    schema = schema or post_schema()
    fields, omitted = [], []
    for name, raw in schema["properties"].items():
        node = _resolve(raw, schema)
        field = _field_head(f"{record_set}/{name}", name, node)
        item = node
        if _kind(node) == "array":
            field["repeated"] = True
            item = _resolve(node["items"], schema)
        if _kind(item) != "object":
            field["dataType"] = _scalar_type(item)
            field["source"] = _source(file_id, name, None)
            fields.append(field)
            continue
        sub_fields = []
        for child_name, child_raw in item["properties"].items():
            child = _resolve(child_raw, schema)
            if _kind(child) in ("object", "array"):
                omitted.append(f"{name}{'[]' if field.get('repeated') else ''}.{child_name}")
                continue
            sub = _field_head(f"{record_set}/{name}/{child_name}", child_name, child)
            sub["dataType"] = _scalar_type(child)
            sub["source"] = _source(file_id, name, f"$.{child_name}")
            sub_fields.append(sub)
        field["subField"] = sub_fields
        fields.append(field)
    return fields, omitted


def _citation() -> dict[str, Any]:
    path = REPO_ROOT / "CITATION.cff"
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
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


def _counts(mapping: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in mapping.items()) if mapping else "none"


def _preprocessing(manifest: dict[str, Any]) -> list[str]:
    versions = manifest.get("versions", {})
    stages = manifest.get("stage_counts", {})
    config = manifest.get("config", {})
    parse, clean = stages.get("parse", {}), stages.get("clean", {})
    dedup, split = stages.get("dedup", {}), stages.get("split", {})
    dcfg, scfg = config.get("dedup", {}), config.get("split", {})
    return [
        "Raw seed files are declared with their sha256 in seeds/manifest.toml and never modified; "
        f"one parser per format ({', '.join(versions.get('parsers', []))}) splits them into "
        f"records: {parse.get('records', '?')} records from {parse.get('files', '?')} files. "
        "Every raw line gets a category; the per-file line account is in manifest.json.",
        f"Cleaning ({versions.get('clean', '?')}): placeholders and link anchors removed, repeated "
        "bodies collapsed, Unicode NFC, whitespace normalised. "
        f"Kept {clean.get('kept', '?')} of {clean.get('seen', '?')} records "
        f"(by kind: {_counts(clean.get('kept_by_kind', {}))}); dropped: "
        f"{_counts(clean.get('dropped', {}))}; records with lines removed: "
        f"{_counts(clean.get('records_with_lines_removed', {}))}.",
        f"Deduplication ({versions.get('dedup', '?')}): exact duplicates, then MinHash/LSH "
        f"candidates ({dcfg.get('shingle_words', '?')}-word shingles, {dcfg.get('num_perm', '?')} "
        f"permutations, {dcfg.get('bands', '?')} bands of {dcfg.get('rows', '?')} rows) verified "
        f"by exact Jaccard >= {dcfg.get('threshold', '?')}. Kept {dedup.get('kept', '?')} of "
        f"{dedup.get('seen', '?')}; removed: {_counts(dedup.get('removed', {}))}. Each removed "
        "copy is recorded in the kept row's `duplicates`.",
        f"Split ({versions.get('split', '?')}): sha256 of the seed '{scfg.get('seed', '?')}' and "
        f"the duplicate cluster id, target ratios {scfg.get('train', '?')} / "
        f"{scfg.get('validation', '?')} / {scfg.get('test', '?')}; released posts never change "
        f"split. Rows: {_counts(split)}.",
    ]


def _annotation_protocol(manifest: dict[str, Any]) -> str:
    if not manifest.get("annotations"):
        return "No human labels yet: this release contains no topic or stance labels."
    return (
        "This release includes human labels, stored apart from the text and keyed by post_id; "
        "the label scheme and codebook are in annotation/GUIDELINES.md and the tallies in "
        "DATACARD.md, section 7."
    )


def _check_files(release_dir: Path, files: list[dict[str, Any]]) -> None:
    # Describe only files that are really there; hashes are `statemedia verify`'s job.
    for entry in files:
        path = release_dir / entry["path"]
        if not path.is_file():
            raise ReleaseError(f"{path}: listed in the manifest but missing")
        if path.stat().st_size != entry["bytes"]:
            raise ReleaseError(
                f"{path}: {path.stat().st_size} bytes != manifest {entry['bytes']}; "
                "run `statemedia verify`"
            )


def croissant_metadata(release_dir: Path, manifest: dict[str, Any], version: str) -> dict[str, Any]:
    """The Croissant 1.0 JSON-LD document of one release, as a dict."""
    folder_version = parse_version(version)
    if manifest.get("version") != folder_version:
        raise ReleaseError(
            f"{release_dir}: manifest version {manifest.get('version')!r} != {folder_version!r}"
        )
    plain_version = folder_version.removeprefix("v")
    files = manifest["files"]
    _check_files(release_dir, files)
    schema = post_schema()
    citation = _citation()

    distribution = [
        {
            "@type": "cr:FileObject",
            "@id": entry["path"],
            "name": entry["path"],
            "description": f"Table '{entry['table']}': {entry['rows']} rows.",
            # Relative to croissant.json, which sits next to the Parquet files.
            "contentUrl": entry["path"],
            "contentSize": f"{entry['bytes']} B",
            "encodingFormat": PARQUET,
            "sha256": entry["sha256"],
        }
        for entry in files
    ]

    record_sets = []
    for entry in files:
        # A RecordSet with no records only confuses loaders (as for the HF card's splits).
        if not entry["rows"]:
            continue
        table = entry["table"]
        is_annotations = table == "annotations"
        table_schema = annotation_schema() if is_annotations else schema
        fields, omitted = record_set_fields(table, entry["path"], table_schema)
        description = TABLE_DESCRIPTIONS.get(table, f"Table '{table}'.")
        description += (
            f" {entry['rows']} rows, one per human annotation; columns follow "
            "schema/annotation.schema.json."
            if is_annotations
            else f" {entry['rows']} rows, one per post; columns follow schema/post.schema.json."
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

    rows = {entry["table"]: entry["rows"] for entry in files}
    sources = sorted({i["source"] for i in manifest.get("inputs", [])})
    languages = sorted({i["language"] for i in manifest.get("inputs", [])})
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
        **({"datePublished": manifest["date_released"]} if manifest.get("date_released") else {}),
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
            f"{len(manifest.get('inputs', []))} raw files are used in this release."
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
            "deterministic. Errata and takedown requests go through the project's issue tracker "
            "and are fixed in a new release."
        ),
    }


def render_croissant(release_dir: Path, manifest: dict[str, Any], version: str) -> str:
    """The text of `croissant.json` for one release (deterministic: no clock, no absolute paths)."""
    document = croissant_metadata(release_dir, manifest, version)
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

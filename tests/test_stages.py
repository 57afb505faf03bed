"""The parse-and-clean stage over many files: the same result with one or two worker processes,
and identical raw posts in two files of one source get distinct ids in manifest order."""

from __future__ import annotations

from statemedia.ids import sha256_bytes
from statemedia.inputs import FileDecl, RawFile
from statemedia.stages import parse_and_clean

ARTICLE = "Title\n\nMonday, 2 May, 2022 - 10:00\n\nThe same body in two scrapes.\n"


def raw_file(name: str, text: str) -> RawFile:
    decl = FileDecl(
        name, sha256_bytes(text.encode()), "sputnik", "web", "sputnik_article", "en", "t"
    )
    return RawFile(decl, f"seeds/{name}", decl.sha256, text=text)


def test_identical_raw_posts_in_two_files_get_distinct_ids_in_order():
    files = [raw_file("a.txt", ARTICLE), raw_file("b.txt", ARTICLE)]
    first, second = parse_and_clean(files).posts
    assert second.post_id == f"{first.post_id}-2"
    assert (first.provenance.source_file, second.provenance.source_file) == (
        "seeds/a.txt",
        "seeds/b.txt",
    )


def test_worker_processes_do_not_change_the_result():
    files = [raw_file(f"{k}.txt", ARTICLE.replace("same", f"same {k % 3}")) for k in range(6)]
    assert parse_and_clean(files, workers=2) == parse_and_clean(files, workers=1)
    ids = [p.post_id for p in parse_and_clean(files, workers=2).posts]
    assert len(set(ids)) == len(ids)

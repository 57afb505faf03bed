"""`annotate publish` and the pull folder rules, through the real CLI on tmp folders (offline).

Pulls convert a saved export (`annotate pull --export`), so no server is needed.
"""

from __future__ import annotations

import json
import re
from hashlib import sha256
from pathlib import Path

import pytest
from labeling_helpers import result

from statemedia.cli import main
from statemedia.config import CONFIG_FILE
from statemedia.labeling import files
from statemedia.vocab import REPO_ROOT

PUBLISHED = {
    "annotations.jsonl",
    "gold.jsonl",
    "adjudication.jsonl",
    "agreement.json",
    "agreement.md",
    "publication.json",
}


def an(ann_id: int, user: int, res: list) -> dict:
    return {"id": ann_id, "completed_by": user, "result": res, "updated_at": "2025-01-01"}


def tasks(primary_p2: str = "other_policy") -> list[dict]:
    """Two posts coded by users 3 and 4: p1 alike, p2 alike or tied."""
    return [
        {
            "id": 1,
            "data": {"post_id": "p1"},
            "annotations": [
                an(1, 3, result("armed_conflict", stances={"nato": "against"})),
                an(2, 4, result("armed_conflict", stances={"nato": "against"})),
            ],
        },
        {
            "id": 2,
            "data": {"post_id": "p2"},
            "annotations": [an(3, 3, result("energy_resources")), an(4, 4, result(primary_p2))],
        },
    ]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A repository root with the real statemedia.toml (labels_dir annotation/labels, absent)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / CONFIG_FILE).write_bytes((REPO_ROOT / CONFIG_FILE).read_bytes())
    return repo


def pull(tmp_path: Path, name: str, task_list: list[dict], *extra: str) -> int:
    export = tmp_path / f"{name}_export.json"
    export.write_text(json.dumps(task_list), encoding="utf-8")
    argv = ["annotate", "pull", "--export", str(export), "--out", str(tmp_path / name)]
    return main([*argv, "--state-dir", str(tmp_path / "state"), *extra])


def pulled(tmp_path: Path, name: str, task_list: list[dict] | None = None) -> Path:
    """A complete pull folder: pull, agreement and gold."""
    folder = tmp_path / name
    assert pull(tmp_path, name, task_list or tasks()) == 0
    assert main(["annotate", "agreement", "--in", str(folder), "--bootstrap", "10"]) == 0
    assert main(["annotate", "gold", "--in", str(folder)]) == 0
    return folder


def publish(root: Path, folder: Path) -> int:
    return main(["--root", str(root), "annotate", "publish", "--in", str(folder)])


def test_publish_copies_the_results_and_records_the_pull(tmp_path, root, capsys) -> None:
    folder = pulled(tmp_path, "pull1", tasks())
    assert publish(root, folder) == 0
    labels = root / "annotation" / "labels"
    assert {p.name for p in labels.iterdir()} == PUBLISHED  # no export.json: it names coders
    for name in PUBLISHED - {"publication.json"}:
        assert (labels / name).read_bytes() == (folder / name).read_bytes()
    record = json.loads((labels / "publication.json").read_text(encoding="utf-8"))
    summary = json.loads((folder / "pull.json").read_text(encoding="utf-8"))
    assert record["format"] == "statemedia-labels-publication@1"
    assert record["pull"] == {
        "pulled_at": summary["pulled_at"],
        "export_sha256": summary["export_sha256"],
        "scheme_version": summary["scheme_version"],
        "pull_json_sha256": sha256((folder / "pull.json").read_bytes()).hexdigest(),
    }
    assert record["files"] == {
        name: sha256((folder / name).read_bytes()).hexdigest()
        for name in PUBLISHED - {"publication.json"}
    }
    assert "published" in capsys.readouterr().out
    # The same pull again (e.g. after adjudication recomputed gold): allowed, same bytes.
    before = (labels / "publication.json").read_bytes()
    assert publish(root, folder) == 0
    assert (labels / "publication.json").read_bytes() == before
    # no staging or set-aside folder left; only the (empty) lock file stays, as the build's does
    assert [p.name for p in labels.parent.glob(".labels.*")] == [".labels.lock"]


def test_a_publish_waits_for_no_one_while_another_holds_the_lock(tmp_path, root, capsys) -> None:
    from statemedia.release.lock import dataset_lock

    folder = pulled(tmp_path, "pull1")
    labels = root / "annotation" / "labels"
    labels.parent.mkdir(parents=True)
    capsys.readouterr()
    with dataset_lock(labels, "annotate publish", activity="publish"):
        assert publish(root, folder) == 6  # BusyError: refused at once, nothing written
    err = capsys.readouterr().err
    assert "another publish is running" in err and "annotate publish, pid" in err
    assert not labels.exists()
    assert publish(root, folder) == 0  # released when the holder is done


def test_an_older_pull_never_replaces_a_newer_publication(tmp_path, root, capsys) -> None:
    old = pulled(tmp_path, "pull1", tasks())
    new = pulled(tmp_path, "pull2", tasks(primary_p2="energy_resources"))  # no tie: no queue
    (new / "adjudication.jsonl").unlink(missing_ok=True)
    assert publish(root, old) == 0
    labels = root / "annotation" / "labels"
    assert (labels / "adjudication.jsonl").is_file()
    assert publish(root, new) == 0  # newer: replaces the whole folder
    assert not (labels / "adjudication.jsonl").exists()  # nothing stale from the older pull
    published = (labels / "publication.json").read_bytes()
    capsys.readouterr()
    assert publish(root, old) == 8
    err = capsys.readouterr().err
    assert "holds a later pull" in err and "replaced only by a newer pull" in err
    assert (labels / "publication.json").read_bytes() == published


def test_same_time_different_export_is_refused(tmp_path, root, capsys) -> None:
    old = pulled(tmp_path, "pull1", tasks())
    new = pulled(tmp_path, "pull2", tasks(primary_p2="energy_resources"))
    summary = json.loads((new / "pull.json").read_text(encoding="utf-8"))
    summary["pulled_at"] = json.loads((old / "pull.json").read_text())["pulled_at"]
    (new / "pull.json").write_text(json.dumps(summary), encoding="utf-8")
    assert publish(root, old) == 0
    assert publish(root, new) == 8
    assert "holds another pull" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("remove", "message"),
    [
        ("agreement.md", r"lacks agreement\.md; run `statemedia annotate agreement --in"),
        ("gold.jsonl", r"lacks gold\.jsonl; run `statemedia annotate gold --in"),
        ("pull.json", r"not a pull folder \(no pull\.json\)"),
    ],
)
def test_an_incomplete_pull_folder_is_refused(tmp_path, root, capsys, remove, message) -> None:
    folder = pulled(tmp_path, "pull1")
    (folder / remove).unlink()
    capsys.readouterr()
    assert publish(root, folder) == 3
    assert re.search(message, capsys.readouterr().err)
    assert not (root / "annotation").exists()


def test_agreement_of_other_rows_is_refused(tmp_path, root, capsys) -> None:
    folder = pulled(tmp_path, "pull1")
    rows = (folder / "annotations.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    (folder / "annotations.jsonl").write_text("".join(rows[:-1]), encoding="utf-8")
    capsys.readouterr()
    assert publish(root, folder) == 3
    assert "agreement.json: not computed from this folder's annotations.jsonl" in (
        capsys.readouterr().err
    )


def test_labels_not_written_by_publish_are_not_replaced(tmp_path, root, capsys) -> None:
    folder = pulled(tmp_path, "pull1")
    labels = root / "annotation" / "labels"
    labels.mkdir(parents=True)
    (labels / "gold.jsonl").write_text("", encoding="utf-8")  # the old README's manual cp
    capsys.readouterr()
    assert publish(root, folder) == 8
    assert "no publication.json" in capsys.readouterr().err
    assert [p.name for p in labels.iterdir()] == ["gold.jsonl"]
    labels.joinpath("gold.jsonl").unlink()  # an empty folder is fine
    assert publish(root, folder) == 0


def test_a_failed_publish_leaves_the_old_publication_whole(
    tmp_path, root, capsys, monkeypatch
) -> None:
    old = pulled(tmp_path, "pull1", tasks())
    new = pulled(tmp_path, "pull2", tasks(primary_p2="energy_resources"))
    assert publish(root, old) == 0
    labels = root / "annotation" / "labels"
    before = {p.name: p.read_bytes() for p in labels.iterdir()}
    calls = {"n": 0}
    real = Path.write_bytes

    def failing(self: Path, data: bytes) -> int:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", failing)
    with pytest.raises(OSError, match="disk full"):
        publish(root, new)
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in labels.iterdir()} == before
    assert [p.name for p in labels.parent.glob(".labels.*")] == [".labels.lock"]


# -- pull --out --------------------------------------------------------------------------------


def test_pull_refuses_a_non_empty_out_folder(tmp_path, capsys) -> None:
    folder = pulled(tmp_path, "pull1")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    capsys.readouterr()
    assert pull(tmp_path, "pull1", tasks("energy_resources")) == 8
    err = capsys.readouterr().err
    assert "pull1: not empty" in err and "--replace" in err
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_pull_refuses_before_asking_a_server(tmp_path, capsys) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "pull.json").write_text("{}", encoding="utf-8")
    argv = ["annotate", "pull", "--out", str(out), "--url", "http://127.0.0.1:9", "--token", "x"]
    assert main(argv) == 8  # not 5: the server was never contacted
    assert "not empty" in capsys.readouterr().err


def test_pull_replace_leaves_no_stale_results(tmp_path, capsys) -> None:
    folder = pulled(tmp_path, "pull1")
    assert {"gold.jsonl", "agreement.json", "agreement.md"} <= {p.name for p in folder.iterdir()}
    first = json.loads((folder / "pull.json").read_text(encoding="utf-8"))
    assert pull(tmp_path, "pull1", tasks("energy_resources"), "--replace") == 0
    assert {p.name for p in folder.iterdir()} == {
        "export.json",
        "predictions_raw.json",
        "annotations.jsonl",
        "problems.jsonl",
        "predictions.jsonl",
        "pull.json",
    }
    second = json.loads((folder / "pull.json").read_text(encoding="utf-8"))
    assert second["export_sha256"] != first["export_sha256"]
    assert second["pulled_at"] > first["pulled_at"]
    assert not list(tmp_path.glob(".pull1.*"))
    capsys.readouterr()


def test_pull_replace_keeps_files_no_command_wrote(tmp_path, capsys) -> None:
    folder = pulled(tmp_path, "pull1")
    (folder / "decisions.jsonl").write_text("{}\n", encoding="utf-8")
    capsys.readouterr()
    assert pull(tmp_path, "pull1", tasks(), "--replace") == 8
    assert "decisions.jsonl, which no `annotate` command writes there" in capsys.readouterr().err
    assert (folder / "decisions.jsonl").is_file() and (folder / "gold.jsonl").is_file()


def test_pull_into_an_empty_folder_needs_no_replace(tmp_path, capsys) -> None:
    (tmp_path / "pull1").mkdir()
    assert pull(tmp_path, "pull1", tasks()) == 0
    assert files.read_jsonl(tmp_path / "pull1" / "annotations.jsonl")
    capsys.readouterr()


# -- the data card -----------------------------------------------------------------------------


def test_the_card_shows_the_published_agreement_with_marker_and_proportion(
    tmp_path, root, capsys
) -> None:
    from types import SimpleNamespace

    from statemedia.config import load_config
    from statemedia.release.cards import _agreement_table, block_annotation
    from statemedia.vocab import SPLITS, Table

    config = load_config(root / CONFIG_FILE)
    assert _agreement_table(root, config) is None  # nothing published yet
    assert publish(root, pulled(tmp_path, "pull1")) == 0
    table = _agreement_table(root, config)
    assert table is not None and "Observed agreement" in table
    # Two items only: alpha is a marker, not a number; the proportion is shown (p1 alike, p2 not).
    assert "| topic_primary | too few items (n < 10) | n/a | 0.500 | 2 | 2 | 4 |" in table
    posts = {split: [] for split in SPLITS}
    posts[Table.TRAIN] = [{"label_status": "resolved", "label_topic_primary": "armed_conflict"}]
    rows = {**posts, Table.ANNOTATIONS: [{"annotator": "annotator_01", "post_id": "p1"}]}
    manifest = SimpleNamespace(label_scheme_version="1")
    block = block_annotation(manifest, rows, table)  # type: ignore[arg-type]
    assert "too few items (n < 10)" in block and "Observed agreement" in block
    # A table from before this format is not passed off as current.
    labels = root / "annotation" / "labels"
    (labels / "agreement.md").write_text("| Field | Alpha |\n| x | 0.000 |\n", encoding="utf-8")
    stale = _agreement_table(root, config)
    assert stale is not None and "older version" in stale and "0.000" not in stale
    capsys.readouterr()

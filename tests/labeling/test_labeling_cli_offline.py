"""CLI handlers without a server: exit codes, atomic outputs, credentials (offline)."""

from __future__ import annotations

import json
import os
import re
import stat

import pytest
from labeling_helpers import make_post, result, row, write_release

from statemedia.cli import main
from statemedia.config import CONFIG_FILE
from statemedia.errors import ConfigError
from statemedia.labeling import files
from statemedia.labeling.server import (
    ENV_PASSWORD,
    ENV_TOKEN,
    ENV_USER,
    free_port,
    load_credentials,
    read_env_file,
)
from statemedia.vocab import REPO_ROOT

OUTPUTS = {
    "export.json",
    "predictions_raw.json",
    "annotations.jsonl",
    "problems.jsonl",
    "predictions.jsonl",
    "pull.json",
}


def export_file(tmp_path, tasks) -> str:
    path = tmp_path / "saved_export.json"
    path.write_text(json.dumps(tasks), encoding="utf-8")
    return str(path)


def an(ann_id, user, res):
    return {"id": ann_id, "completed_by": user, "result": res, "updated_at": f"2025-01-0{ann_id}"}


def test_pull_from_saved_export_then_agreement_and_gold(tmp_path, capsys) -> None:
    tasks = [
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
            "annotations": [an(3, 3, result("energy_resources")), an(4, 4, result("other_policy"))],
        },
    ]
    out, state = tmp_path / "pull", tmp_path / "state"
    argv = ["annotate", "pull", "--export", export_file(tmp_path, tasks), "--out", str(out)]
    assert main([*argv, "--state-dir", str(state)]) == 0
    assert {p.name for p in out.iterdir()} == OUTPUTS
    assert (out / "export.json").read_bytes() == (tmp_path / "saved_export.json").read_bytes()
    rows = files.read_jsonl(out / "annotations.jsonl")
    assert [(r["post_id"], r["annotator"]) for r in rows] == [
        ("p1", "annotator_01"),
        ("p1", "annotator_02"),
        ("p2", "annotator_01"),
        ("p2", "annotator_02"),
    ]
    private = state / "annotators.json"
    assert json.loads(private.read_text())["pseudonyms"] == {
        "ls-user:3": "annotator_01",
        "ls-user:4": "annotator_02",
    }
    assert stat.S_IMODE(private.stat().st_mode) == 0o600

    assert main(["annotate", "agreement", "--in", str(out), "--bootstrap", "50"]) == 0
    report = json.loads((out / "agreement.json").read_text())
    primary = next(f for f in report["fields"] if f["field"] == "topic_primary")
    # p1 (AC, AC), p2 (ER, OP): n=4, totals AC 2, ER 1, OP 1. D_o = 2/4; D_e = (16-6)/12.
    # alpha = 1 - 0.5 / (10/12) = 0.4
    assert primary["alpha"] == pytest.approx(0.4)
    assert (out / "agreement.md").read_text().startswith("Krippendorff")

    assert main(["annotate", "gold", "--in", str(out)]) == 0
    gold = files.read_jsonl(out / "gold.jsonl")
    assert [(g["post_id"], g["status"]) for g in gold] == [
        ("p1", "resolved"),
        ("p2", "needs_adjudication"),
    ]
    queue = files.read_jsonl(out / "adjudication.jsonl")
    assert [(q["post_id"], q["field"], q["reason"]) for q in queue] == [
        ("p2", "topic_primary", "tie")
    ]
    capsys.readouterr()


@pytest.mark.parametrize(
    "content", [b"{broken", b'{"tasks": []}', b'[{"id": 1}]', b"\x00\x01binary"]
)
def test_invalid_export_file_fails_cleanly(tmp_path, capsys, content) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    out = tmp_path / "out"
    code = main(
        [
            "annotate",
            "pull",
            "--export",
            str(bad),
            "--out",
            str(out),
            "--state-dir",
            str(tmp_path / "s"),
        ]
    )
    assert code == 3  # BadInputError
    assert "bad.json" in capsys.readouterr().err
    assert not out.exists()
    assert not (tmp_path / "s" / "annotators.json").exists()


def test_missing_export_file_is_bad_input(tmp_path, capsys) -> None:
    code = main(
        ["annotate", "pull", "--export", str(tmp_path / "nope.json"), "--out", str(tmp_path / "o")]
    )
    assert code == 3
    assert "nope.json: cannot read: No such file" in capsys.readouterr().err


def test_agreement_rejects_malformed_rows(tmp_path, capsys) -> None:
    (tmp_path / "annotations.jsonl").write_text('{"post_id": "p1"}\n', encoding="utf-8")
    assert main(["annotate", "agreement", "--in", str(tmp_path)]) == 3
    assert "lacks" in capsys.readouterr().err
    assert not (tmp_path / "agreement.json").exists()


def test_push_without_release_fails_before_contacting_a_server(tmp_path, capsys) -> None:
    code = main(
        [
            "annotate",
            "push",
            "--dataset-dir",
            str(tmp_path),
            "--url",
            "http://127.0.0.1:9",
            "--token",
            "x" * 10,
        ]
    )
    assert code == 3
    assert "no release found" in capsys.readouterr().err


def test_push_to_unreachable_server_is_a_label_studio_error(tmp_path, capsys) -> None:
    write_release(tmp_path, "v1.0.0", "train", [make_post("a")])
    port = free_port()  # nothing listens there
    code = main(
        [
            "annotate",
            "push",
            "--dataset-dir",
            str(tmp_path),
            "--url",
            f"http://127.0.0.1:{port}",
            "--token",
            "x" * 10,
        ]
    )
    assert code == 5
    assert "cannot reach Label Studio" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("option", "value"), [("--annotators-per-task", "1"), ("--overlap", "101")]
)
def test_push_rejects_settings_without_overlap(tmp_path, option, value) -> None:
    assert main(["annotate", "push", "--dataset-dir", str(tmp_path), option, value]) == 2


def test_write_atomic_keeps_old_file_when_replace_fails(tmp_path, monkeypatch) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old", encoding="utf-8")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        files.write_atomic(target, "new")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]  # no temp file left behind


def test_credentials_generated_once_then_reused(tmp_path) -> None:
    first = load_credentials(tmp_path, environ={})
    assert first is not None and len(first.token) == 40
    path = tmp_path / "credentials.env"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_credentials(tmp_path, environ={}) == first
    env = {ENV_USER: "me@example.org", ENV_PASSWORD: "pw-from-env", ENV_TOKEN: "tok-from-env"}
    from_env = load_credentials(tmp_path, environ=env)
    assert (from_env.user, from_env.password, from_env.token) == (
        "me@example.org",
        "pw-from-env",
        "tok-from-env",
    )
    assert read_env_file(path)[ENV_TOKEN] == first.token  # env never overwrites the file


def test_malformed_credentials_file_is_a_config_error(tmp_path) -> None:
    (tmp_path / "credentials.env").write_text("just a line\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"credentials\.env:1"):
        load_credentials(tmp_path, environ={})


def repo_with_config(tmp_path, **build: str):
    """A repository root whose statemedia.toml sets `[build]` paths to `build`."""
    text = (REPO_ROOT / CONFIG_FILE).read_text(encoding="utf-8")
    for key, value in build.items():
        text = re.sub(rf'(?m)^{key} = ".*"$', f'{key} = "{value}"', text)
    (tmp_path / CONFIG_FILE).write_text(text, encoding="utf-8")
    return tmp_path


def test_agreement_and_gold_default_to_the_configured_labels_dir(tmp_path, capsys) -> None:
    root = repo_with_config(tmp_path, labels_dir="labels/published")
    labels = root / "labels" / "published"
    labels.mkdir(parents=True)
    rows = [row("p1", "a1", "armed_conflict"), row("p1", "a2", "armed_conflict")]
    (labels / "annotations.jsonl").write_text(files.dumps_records(rows), encoding="utf-8")
    assert main(["--root", str(root), "annotate", "gold"]) == 0
    assert main(["--root", str(root), "annotate", "agreement", "--bootstrap", "10"]) == 0
    gold = files.read_jsonl(labels / "gold.jsonl")
    assert [(g["post_id"], g["status"]) for g in gold] == [("p1", "resolved")]
    assert (labels / "agreement.md").is_file()  # where the data card looks for it
    capsys.readouterr()


def test_push_defaults_to_the_configured_dataset_dir(tmp_path, capsys) -> None:
    root = repo_with_config(tmp_path, dataset_dir="releases")
    argv = ["--root", str(root), "annotate", "push", "--url", "http://127.0.0.1:9", "--token", "x"]
    assert main(argv) == 3
    assert f"{root / 'releases' / 'data'}: no release found" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{broken", r"annotators\.json:1:2: not valid JSON"),
        ("[]", r"annotators\.json: pseudonym map: expected a JSON object"),
        ('{"pseudonyms": {"ls-user:3": 1}}', "pseudonyms must map strings to strings"),
    ],
)
def test_malformed_pseudonym_map_is_a_config_error(tmp_path, capsys, content, message) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "annotators.json").write_text(content, encoding="utf-8")
    export = export_file(tmp_path, [{"id": 1, "data": {"post_id": "p1"}, "annotations": []}])
    argv = ["annotate", "pull", "--export", export, "--out", str(tmp_path / "o")]
    assert main([*argv, "--state-dir", str(state)]) == 2
    assert re.search(message, capsys.readouterr().err)
    assert not (tmp_path / "o").exists()

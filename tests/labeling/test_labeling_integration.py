"""Against a real Label Studio server (session fixture): push, annotate via the API, pull, agree.

Annotators are created through the users API; their annotations are submitted through the
annotations API with `completed_by` set to them (how an admin imports work done elsewhere). The
community edition offers no API to mint another user's token, so this is the API route available.
"""

from __future__ import annotations

import json

import pytest
from labeling_helpers import make_post, result, write_release

from statemedia.cli import main
from statemedia.errors import LabelStudioError
from statemedia.labeling.files import read_jsonl
from statemedia.labeling.gateway import LabelStudioGateway

pytestmark = pytest.mark.labelstudio

PROJECT = "statemedia test project"
POSTS = ["p1", "p2", "p3", "p4", "p5"]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("dataset")
    rows = [make_post(pid, text=f"Post {pid}.") for pid in POSTS]
    rows.append(make_post("teaser1", record_kind="link_teaser", text="Read more"))
    write_release(root, "v0.9.0", "train", [make_post("old")])
    write_release(root, "v0.10.0", "train", rows)
    return root


@pytest.fixture(scope="module")
def pushed(ls_server, dataset, tmp_path_factory):
    """Push the newest release twice; return the gateway and post_id → task id."""
    argv = [
        "annotate",
        "push",
        "--dataset-dir",
        str(dataset),
        "--url",
        ls_server.url,
        "--token",
        ls_server.credentials.token,
        "--project",
        PROJECT,
        "--state-dir",
        str(tmp_path_factory.mktemp("state")),
    ]
    assert main(argv) == 0
    assert main(argv) == 0  # the second push must import nothing
    gateway = LabelStudioGateway(ls_server.url, ls_server.credentials.token)
    project = gateway.find_project(PROJECT)
    assert project is not None and project.title == PROJECT
    task_ids = {t["data"]["post_id"]: t["id"] for t in gateway.tasks(project.id)}
    return gateway, project, task_ids


def test_push_is_idempotent_and_sets_overlap(pushed, capsys) -> None:
    gateway, project, _ = pushed
    tasks = gateway.tasks(project.id)
    assert sorted(t["data"]["post_id"] for t in tasks) == POSTS  # latest release, no teaser
    assert {t["data"]["release"] for t in tasks} == {"v0.10.0"}
    assert {t["data"]["source_line"] for t in tasks} == {
        "Source: mfa_telegram_en (telegram, telegram_post) · Date: 2024-07-03 (exact)"
    }
    settings = gateway.project(project.id).settings
    assert settings.maximum_annotations == 2
    assert settings.overlap_cohort_percentage == 100
    assert settings.show_overlap_first is True
    assert settings.label_config.startswith("<!-- GENERATED")  # the server accepted our config
    assert gateway.whoami().id in {user.id for user in gateway.users()}


def test_annotations_pulled_validated_and_agreement_matches_hand_value(
    pushed, ls_server, tmp_path, capsys
) -> None:
    gateway, _, task_ids = pushed
    ann1 = gateway.create_user("ann1@example.org", "Ann", "One")
    ann2 = gateway.create_user("ann2@example.org", "Bo", "Two")
    assert ann1 != ann2
    assert gateway.create_user("ann1@example.org") == ann1  # found again, not duplicated

    panel = {
        "p1": (
            result("armed_conflict", stances={"ukraine_government": "against"}),
            result("armed_conflict", stances={"ukraine_government": "against"}),
        ),
        "p2": (
            result("bilateral_relations", stances={"china": "favor"}),
            result("bilateral_relations", stances={"china": "favor", "russia": "favor"}),
        ),
        "p3": (
            result("multilateral_order", stances={"the_west": "against"}),
            result("sanctions_trade_finance", stances={"the_west": "against"}),
        ),
        "p4": (
            result("history_memory_identity"),
            result("history_memory_identity", stances={"the_west": "neutral"}),
        ),
        # ann2's p5 gives a stance toward NATO without ticking NATO: reported, not kept.
        "p5": (
            result("other_policy"),
            result("other_policy", stances={"nato": "favor"}, targets=[]),
        ),
    }
    for post_id, (first, second) in panel.items():
        gateway.create_annotation(task_ids[post_id], first, completed_by=ann1, lead_time=30.0)
        gateway.create_annotation(task_ids[post_id], second, completed_by=ann2, lead_time=45.0)
    gateway.create_prediction(
        task_ids["p3"], result("energy_resources"), model_version="zero-shot@1", score=0.3
    )

    out, state = tmp_path / "pull", tmp_path / "state"
    common = ["--url", ls_server.url, "--token", ls_server.credentials.token, "--project", PROJECT]
    assert main(["annotate", "pull", *common, "--out", str(out), "--state-dir", str(state)]) == 0

    raw = json.loads((out / "export.json").read_text(encoding="utf-8"))
    assert sum(len(t["annotations"]) for t in raw) == 10  # verbatim export, all annotations
    rows = read_jsonl(out / "annotations.jsonl")
    assert len(rows) == 9
    assert {r["annotator"] for r in rows} == {"annotator_01", "annotator_02"}
    p2 = next(r for r in rows if r["post_id"] == "p2" and r["annotator"] == "annotator_02")
    assert (p2["targets"], p2["stance_china"], p2["stance_russia"]) == (
        ["russia", "china"],
        "favor",
        "favor",
    )
    assert p2["lead_time"] == 45.0 and p2["ls_task_id"] == task_ids["p2"]
    problems = read_jsonl(out / "problems.jsonl")
    assert [(p["post_id"], p["annotator"], p["reasons"]) for p in problems] == [
        ("p5", "annotator_02", ["stance_for_unticked_target:nato"])
    ]
    machine = read_jsonl(out / "predictions.jsonl")
    assert [(m["post_id"], m["origin"], m["topic_primary"]) for m in machine] == [
        ("p3", "machine", "energy_resources")
    ]
    pseudonyms = json.loads((state / "annotators.json").read_text())["pseudonyms"]
    assert pseudonyms == {
        "email:ann1@example.org": "annotator_01",
        "email:ann2@example.org": "annotator_02",
    }

    assert main(["annotate", "agreement", "--in", str(out), "--bootstrap", "200"]) == 0
    report = {f["field"]: f for f in json.loads((out / "agreement.json").read_text())["fields"]}
    # By hand, primary topic over the pairable items p1-p4 (p5 has one valid annotation only;
    # the machine prediction on p3 is not a coder):
    #   p1 (AC, AC)  p2 (BR, BR)  p3 (MO, ST)  p4 (HI, HI)
    #   n = 8 values; totals AC 2, BR 2, MO 1, ST 1, HI 2; sum of squared totals = 14.
    #   observed disagreement D_o = (o_MO,ST + o_ST,MO) / n = 2/8
    #   expected disagreement D_e = (n^2 - 14) / (n (n - 1)) = 50/56
    #   alpha = 1 - D_o / D_e = 1 - (2/8)(56/50) = 1 - 0.28 = 0.72
    assert report["topic_primary"]["alpha"] == pytest.approx(0.72)
    assert (report["topic_primary"]["n_items"], report["topic_primary"]["n_annotators"]) == (4, 2)
    # addressed:the_west over p1-p4: (no,no) (no,no) (yes,yes) (no,yes); totals yes 3, no 5.
    #   D_o = 2/8; D_e = (64 - 9 - 25)/56 = 30/56; alpha = 1 - (2/8)(56/30) = 8/15 = 0.5333
    assert report["addressed:the_west"]["alpha"] == pytest.approx(8 / 15)

    assert main(["annotate", "gold", "--in", str(out)]) == 0
    queue = read_jsonl(out / "adjudication.jsonl")
    assert [(q["post_id"], q["field"], q["reason"]) for q in queue] == [
        ("p2", "addressed:russia", "tie"),
        ("p2", "stance:russia", "awaits_addressed"),  # listed with its tied target
        ("p3", "topic_primary", "tie"),
        ("p4", "addressed:the_west", "tie"),
        ("p4", "stance:the_west", "awaits_addressed"),
    ]
    gold = {g["post_id"]: g for g in read_jsonl(out / "gold.jsonl")}
    assert gold["p1"]["status"] == "resolved" and gold["p1"]["n_annotators"] == 2
    # The inconsistent annotation is not a vote: one valid coder is below the minimum of two.
    assert "p5" not in gold
    capsys.readouterr()


def test_wrong_token_is_a_clear_error_and_writes_nothing(ls_server, tmp_path, capsys) -> None:
    with pytest.raises(LabelStudioError, match="refused"):
        LabelStudioGateway(ls_server.url, "wrong-token-123").whoami()
    out = tmp_path / "pull"
    argv = ["annotate", "pull", "--url", ls_server.url, "--token", "wrong-token-123"]
    code = main([*argv, "--project", PROJECT, "--out", str(out), "--state-dir", str(tmp_path)])
    assert code == 5
    assert "HTTP 401" in capsys.readouterr().err
    assert not out.exists()


def test_unknown_project_is_reported(ls_server, tmp_path, capsys) -> None:
    argv = ["annotate", "pull", "--url", ls_server.url, "--token", ls_server.credentials.token]
    code = main([*argv, "--project", "no such project", "--out", str(tmp_path / "o")])
    assert code == 3
    assert "no project titled" in capsys.readouterr().err


def test_codebook_instructions_are_shown_before_labeling(pushed, ls_server) -> None:
    import httpx

    from statemedia.labeling.instructions import load_instructions

    gateway, project, _ = pushed
    html = load_instructions()

    def stored() -> dict:
        response = httpx.get(
            f"{ls_server.url}/api/projects/{project.id}",
            headers={"Authorization": f"Token {ls_server.credentials.token}"},
        )
        response.raise_for_status()
        return response.json()

    # `annotate push` set them already (the fixture pushed through the CLI).
    data = stored()
    assert data["show_instruction"] is True
    assert data["expert_instruction"] == html  # the server's sanitiser keeps it unchanged
    assert "<strong>S12 – When unsure whether a target is addressed</strong>" in html
    assert gateway.ensure_instructions(project.id, html) == "current"
    assert gateway.ensure_instructions(project.id, "<p>old codebook</p>") == "updated"
    assert gateway.ensure_instructions(project.id, html) == "updated"  # stale text replaced
    assert stored()["expert_instruction"] == html

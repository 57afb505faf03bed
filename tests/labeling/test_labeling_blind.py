"""Blind double coding end to end, against real Label Studio servers (one per coder).

A repository copy builds and releases the seeds; two coders are registered and their servers
started by the same code as `annotate up`; the design is pushed; each coder annotates through the
API with their own token on their own server (agreement, disagreements, a tie on an addressed
target, an invalid annotation); then pull, agreement, gold, adjudication of the tie with addressed
plus stance and a reason, publish, a release in the copy, and `load_dataset` of its labels.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

import datasets
import httpx
import pyarrow.parquet as pq
import pytest
from labeling_helpers import result

from statemedia.cli import main
from statemedia.labeling.coders import read_coders, running, write_coders
from statemedia.labeling.files import read_jsonl
from statemedia.labeling.gateway import LabelStudioGateway
from statemedia.labeling.server import free_port
from statemedia.release.layout import table_file
from statemedia.vocab import REPO_ROOT

pytestmark = pytest.mark.labelstudio

EMAILS = ("coder.a@example.org", "coder.b@example.org")
ADJUDICATOR = "lead@example.org"


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """(repo copy with release v1.0.0, state dir, coders, gateways) with both servers running."""
    root = tmp_path_factory.mktemp("blind") / "repo"
    shutil.copytree(REPO_ROOT / "seeds", root / "seeds")
    shutil.copy(REPO_ROOT / "statemedia.toml", root / "statemedia.toml")
    (root / "annotation").mkdir()
    shutil.copy(REPO_ROOT / "annotation" / "GUIDELINES.md", root / "annotation" / "GUIDELINES.md")
    assert main(["--root", str(root), "build", "--quiet"]) == 0
    assert main(["--root", str(root), "release", "--version", "1.0.0", "--date", "2026-12-01"]) == 0
    state = root.parent / "state"
    assert main(["annotate", "coders", "add", *EMAILS, "--state-dir", str(state)]) == 0
    # free ports for this run (the registry's defaults, 8081 and up, may be taken here)
    write_coders(state, [replace(c, port=free_port()) for c in read_coders(state)])
    coders = read_coders(state)
    with running(coders, state):
        gateways = [LabelStudioGateway(c.url(), c.token) for c in coders]
        yield root, state, coders, gateways


def push(root, state, *extra: str) -> int:
    argv = ["--root", str(root), "annotate", "push", "--state-dir", str(state)]
    return main([*argv, "--overlap", "40", "--seed", "3", *extra])


@pytest.fixture(scope="module")
def pushed(study):
    root, state, _, gateways = study
    assert push(root, state) == 0
    assert push(root, state) == 0  # idempotent: the design is kept, nothing imported twice
    design = json.loads((state / "assignment.json").read_text())
    projects = []
    for gateway in gateways:
        project = gateway.find_project("statemedia: topic and stance")
        assert project is not None
        projects.append(project)
    return design, projects


def test_each_coder_gets_the_reliability_sample_and_a_share_of_the_rest(study, pushed) -> None:
    _, _, coders, gateways = study
    design, projects = pushed
    assert design["rule"] == "assignment@1" and design["coders"] == [c.pseudonym for c in coders]
    reliability = {p["post_id"] for p in design["posts"] if p["reliability"]}
    single = {p["post_id"]: p["coders"][0] for p in design["posts"] if not p["reliability"]}
    assert reliability and single
    for stratum in design["strata"].values():
        assert stratum["reliability"] >= 1  # every source x month stratum is in the sample
    for coder, gateway, project in zip(coders, gateways, projects, strict=True):
        on_server = [t["data"]["post_id"] for t in gateway.tasks(project.id)]
        assert len(on_server) == len(set(on_server))  # the second push imported nothing
        mine = {pid for pid, who in single.items() if who == coder.pseudonym}
        assert set(on_server) == reliability | mine
        settings = gateway.project(project.id).settings
        assert settings.maximum_annotations == 1  # overlap is the design's, not Label Studio's


def test_a_coder_cannot_read_or_edit_another_coders_work(study, pushed) -> None:
    _, _, coders, gateways = study
    design, projects = pushed
    a, b = coders
    # B codes their last single-coded post (the study test below codes B's first one)
    last = [p["post_id"] for p in design["posts"] if p["coders"] == [b.pseudonym]][-1]
    task_b = next(
        t["id"] for t in gateways[1].tasks(projects[1].id) if t["data"]["post_id"] == last
    )
    gateways[1].create_annotation(task_b, result("other_policy"))
    headers = {"Authorization": f"Token {a.token}"}
    own = httpx.get(f"{a.url()}/api/projects/{projects[0].id}", headers=headers)
    assert own.status_code == 200  # A's token works: on A's own server
    for path in (
        f"/api/tasks/{task_b}/annotations/",
        "/api/annotations/1",  # any id: the endpoint of HumanSignal/label-studio#9796
        f"/api/projects/{projects[1].id}",
        f"/api/tasks?project={projects[1].id}",
    ):
        assert httpx.get(f"{b.url()}{path}", headers=headers).status_code == 401, path
    patch = httpx.patch(
        f"{b.url()}/api/projects/{projects[1].id}", headers=headers, json={"title": "changed"}
    )
    assert patch.status_code == 401
    assert gateways[1].project(projects[1].id).title == "statemedia: topic and stance"
    # and B's work is nowhere on A's server
    on_a = [
        ann for t in json.loads(gateways[0].export_json(projects[0].id)) for ann in t["annotations"]
    ]
    assert all(ann["completed_by"] == gateways[0].whoami().id for ann in on_a)


def test_blind_study_from_coding_to_a_released_label(study, pushed, tmp_path, capsys) -> None:
    root, state, coders, gateways = study
    design, projects = pushed
    reliability = sorted(p["post_id"] for p in design["posts"] if p["reliability"])
    tie, topic_tie, invalid, *agreed = reliability
    ids = [
        {t["data"]["post_id"]: t["id"] for t in g.tasks(p.id)}
        for g, p in zip(gateways, projects, strict=True)
    ]
    votes = {
        tie: (
            result("armed_conflict", stances={"united_states": "against"}),
            result("armed_conflict"),  # does not tick the target: a tie on addressed
        ),
        topic_tie: (result("sanctions_trade_finance"), result("energy_resources")),
        # B gives a stance toward NATO without ticking NATO: reported, not a vote
        invalid: (
            result("other_policy"),
            result("other_policy", stances={"nato": "favor"}, targets=[]),
        ),
        **{pid: (result("bilateral_relations"), result("bilateral_relations")) for pid in agreed},
    }
    for post_id, pair in votes.items():
        for k in (0, 1):
            gateways[k].create_annotation(ids[k][post_id], pair[k], lead_time=20.0)
    for k, coder in enumerate(coders):  # one single-coded post each
        own = next(p["post_id"] for p in design["posts"] if p["coders"] == [coder.pseudonym])
        gateways[k].create_annotation(ids[k][own], result("multilateral_order"))

    out = tmp_path / "pull"
    assert (
        main(
            ["--root", str(root), "annotate", "pull", "--state-dir", str(state), "--out", str(out)]
        )
        == 0
    )
    names = {p.name for p in out.iterdir()}
    assert {"export.annotator_01.json", "export.annotator_02.json", "assignment.json"} <= names
    assert "export.json" not in names
    rows = read_jsonl(out / "annotations.jsonl")
    assert {r["annotator"] for r in rows} == {"annotator_01", "annotator_02"}
    published_text = (out / "annotations.jsonl").read_text() + (out / "pull.json").read_text()
    assert not any(email in published_text for email in EMAILS)  # pseudonyms only
    problems = read_jsonl(out / "problems.jsonl")
    assert [(p["post_id"], p["annotator"], p["reasons"]) for p in problems] == [
        (invalid, "annotator_02", ["stance_for_unticked_target:nato"])
    ]
    summary = json.loads((out / "pull.json").read_text())
    assert summary["mode"] == "blind"
    assert [c["annotator"] for c in summary["coders"]] == ["annotator_01", "annotator_02"]

    assert main(["annotate", "agreement", "--in", str(out), "--bootstrap", "100"]) == 0
    report = {f["field"]: f for f in json.loads((out / "agreement.json").read_text())["fields"]}
    topic = report["topic_primary"]
    # pairable items: the reliability posts but the invalid one (one valid coder there)
    assert (topic["n_items"], topic["n_annotators"]) == (len(reliability) - 1, 2)
    assert topic["observed_agreement"] == pytest.approx(
        (len(reliability) - 2) / (len(reliability) - 1)
    )

    assert main(["annotate", "gold", "--in", str(out)]) == 0
    queue = read_jsonl(out / "adjudication.jsonl")
    assert sorted((q["post_id"], q["field"], q["reason"]) for q in queue) == sorted(
        [
            (tie, "addressed:united_states", "tie"),
            (tie, "stance:united_states", "awaits_addressed"),
            (topic_tie, "topic_primary", "tie"),
        ]
    )
    decisions = tmp_path / "decisions.jsonl"
    because = "the post names the United States and criticises its policy (GUIDELINES §3)"
    decisions.write_text(
        "".join(
            json.dumps(
                {
                    "post_id": p,
                    "field": f,
                    "value": v,
                    "reason": because,
                    "adjudicator": ADJUDICATOR,
                }
            )
            + "\n"
            for p, f, v in (
                (tie, "addressed:united_states", "yes"),
                (tie, "stance:united_states", "against"),
                (topic_tie, "topic_primary", "sanctions_trade_finance"),
            )
        )
    )
    argv = ["annotate", "gold", "--in", str(out), "--adjudicated", str(decisions)]
    assert main([*argv, "--state-dir", str(state)]) == 0
    assert read_jsonl(out / "adjudication.jsonl") == []  # every listed field decided
    gold = {g["post_id"]: g for g in read_jsonl(out / "gold.jsonl")}
    assert gold[tie]["status"] == "resolved"
    assert {a["adjudicator"] for a in gold[tie]["adjudications"]} == {"adjudicator_01"}
    assert {a["reason"] for a in gold[tie]["adjudications"]} == {because}

    assert main(["--root", str(root), "annotate", "publish", "--in", str(out)]) == 0
    labels = root / "annotation" / "labels"
    assert (labels / "assignment.json").read_bytes() == (out / "assignment.json").read_bytes()
    capsys.readouterr()
    assert main(["--root", str(root), "release", "--version", "1.1.0", "--date", "2026-12-02"]) == 0

    folder = root / "dataset" / "data" / "v1.1.0"
    posts = {
        r["post_id"]: r
        for split in ("train", "validation", "test")
        for r in pq.read_table(folder / table_file(split)).to_pylist()
    }
    assert posts[tie]["label_status"] == "resolved"
    assert posts[tie]["label_stances"] == [{"target": "united_states", "stance": "against"}]
    assert posts[topic_tie]["label_topic_primary"] == "sanctions_trade_finance"
    assert posts[invalid]["label_status"] == "unlabeled"  # one valid coder: below the minimum
    ds = datasets.load_dataset(str(root / "dataset"), cache_dir=str(tmp_path / "cache"))
    loaded = {r["post_id"]: r for r in ds["train"]}
    assert loaded[tie]["label_stances"] == [{"target": "united_states", "stance": "against"}]
    annotations = datasets.load_dataset(
        str(root / "dataset"), "v1.1.0-annotations", cache_dir=str(tmp_path / "cache2")
    )
    assert {r["annotator"] for r in annotations["train"]} == {"annotator_01", "annotator_02"}

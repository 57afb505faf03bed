"""`statemedia annotate ...`: thin handlers joining release files, the pure steps and the gateway.

`add_annotate_parser(subparsers)` registers the group; every sub-command sets `func`, a handler
taking the parsed args and returning an exit code. Failures are raised as StatemediaError
subclasses; outputs are computed first and written atomically last, so a failed command leaves no
partial files.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from hashlib import sha256
from pathlib import Path
from typing import Any

from statemedia.errors import BadInputError, ConfigError, StatemediaError
from statemedia.labeling import agreement as agreement_mod
from statemedia.labeling import gold as gold_mod
from statemedia.labeling.export import (
    annotator_key,
    assign_pseudonyms,
    convert_export,
    parse_export,
)
from statemedia.labeling.files import dumps_json, dumps_jsonl, read_jsonl, write_atomic
from statemedia.labeling.gateway import LabelStudioGateway
from statemedia.labeling.scheme import LABEL_CONFIG_PATH, Scheme, load_scheme, render_label_config
from statemedia.labeling.server import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    DEFAULT_STATE_DIR,
    LocalServer,
    load_credentials,
    resolve_token,
    resolve_url,
)
from statemedia.labeling.tasks import (
    build_tasks,
    new_tasks,
    read_posts,
    resolve_release,
    split_path,
)
from statemedia.split import SPLITS

DEFAULT_PROJECT = "statemedia: topic and stance"
PSEUDONYM_FILE = "annotators.json"  # private: maps Label Studio accounts to pseudonyms
ROW_KEYS = ("post_id", "annotator", "topic_primary", "topics_secondary", "targets")


# -- parser ------------------------------------------------------------------------------------


def add_annotate_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `annotate` and its sub-commands on an argparse subparsers object."""
    parser = subparsers.add_parser(
        "annotate", help="collect topic and stance labels in Label Studio"
    )
    sub = parser.add_subparsers(dest="annotate_command", metavar="COMMAND", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--scheme", type=Path, default=None, help="label scheme (schema/labels.json)"
        )
        p.add_argument(
            "--state-dir",
            type=Path,
            default=DEFAULT_STATE_DIR,
            help="local Label Studio data, credentials and pseudonym map (default .labelstudio)",
        )

    def remote(p: argparse.ArgumentParser) -> None:
        p.add_argument("--url", default=None, help="server URL (env STATEMEDIA_LS_URL)")
        p.add_argument("--token", default=None, help="API token (env STATEMEDIA_LS_TOKEN)")
        p.add_argument("--project", default=DEFAULT_PROJECT, help="project title")

    def push_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--dataset-dir", type=Path, default=Path("dataset"))
        p.add_argument("--release", default="latest", help="release version or 'latest'")
        p.add_argument("--split", default="train", choices=SPLITS)
        p.add_argument("--sample", type=int, default=None, help="number of posts (default all)")
        p.add_argument("--seed", type=int, default=0, help="sampling seed")
        p.add_argument("--include-teasers", action="store_true", help="also push link teasers")
        p.add_argument(
            "--annotators-per-task",
            type=int,
            default=2,
            help="maximum_annotations for the overlap sample (>= 2)",
        )
        p.add_argument(
            "--overlap",
            type=int,
            default=100,
            help="overlap_cohort_percentage: share of tasks coded by several annotators",
        )

    def server_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--port", type=int, default=DEFAULT_PORT)
        p.add_argument("--host", default=DEFAULT_HOST, help="bind address (keep it on loopback)")

    p = sub.add_parser("config", help="print, write or check annotation/label_config.xml")
    common(p)
    p.add_argument("--write", action="store_true", help="write the file")
    p.add_argument("--check", action="store_true", help="fail if the committed file is stale")
    p.add_argument("--path", type=Path, default=LABEL_CONFIG_PATH)
    p.set_defaults(func=cmd_config)

    p = sub.add_parser("serve", help="run a local Label Studio until Ctrl-C")
    common(p)
    server_options(p)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("up", help="serve, push the newest release, keep running")
    common(p)
    server_options(p)
    push_options(p)
    p.add_argument("--project", default=DEFAULT_PROJECT, help="project title")
    p.set_defaults(func=cmd_up)

    p = sub.add_parser("push", help="import release posts as tasks (idempotent by post_id)")
    common(p)
    remote(p)
    push_options(p)
    p.set_defaults(func=cmd_push)

    p = sub.add_parser("pull", help="export annotations into tidy, validated rows")
    common(p)
    remote(p)
    p.add_argument("--out", type=Path, required=True, help="output directory")
    p.add_argument(
        "--export",
        type=Path,
        default=None,
        help="convert this saved Label Studio JSON export instead of contacting the server",
    )
    p.set_defaults(func=cmd_pull)

    p = sub.add_parser("agreement", help="Krippendorff's alpha per field, with bootstrap CI")
    common(p)
    p.add_argument("--in", dest="inp", type=Path, required=True, help="pull output directory")
    p.add_argument("--out", type=Path, default=None, help="output directory (default --in)")
    p.add_argument("--bootstrap", type=int, default=agreement_mod.DEFAULT_BOOTSTRAP)
    p.add_argument("--seed", type=int, default=agreement_mod.DEFAULT_SEED)
    p.set_defaults(func=cmd_agreement)

    p = sub.add_parser("gold", help="majority labels; ties and low agreement to adjudication")
    common(p)
    p.add_argument("--in", dest="inp", type=Path, required=True, help="pull output directory")
    p.add_argument("--out", type=Path, default=None, help="output directory (default --in)")
    p.add_argument("--min-annotators", type=int, default=1)
    p.add_argument(
        "--adjudicated", type=Path, default=None, help="JSONL of decisions: post_id, field, value"
    )
    p.set_defaults(func=cmd_gold)
    return parser


# -- handlers ----------------------------------------------------------------------------------


def cmd_config(args: argparse.Namespace) -> int:
    """Print the generated label config, or write it, or check the committed copy is current."""
    xml = render_label_config(load_scheme(args.scheme))
    if args.check:
        current = args.path.read_text(encoding="utf-8") if args.path.is_file() else None
        if current != xml:
            raise ConfigError(
                f"{args.path} is stale or missing; run `statemedia annotate config --write`"
            )
        print(f"{args.path} is up to date")
        return 0
    if args.write:
        write_atomic(args.path, xml)
        print(f"wrote {args.path}")
        return 0
    sys.stdout.write(xml)
    return 0


def _start_local(args: argparse.Namespace) -> LocalServer:
    creds = load_credentials(args.state_dir)
    assert creds is not None  # create=True always returns credentials
    server = LocalServer(args.state_dir / "data", creds, port=args.port, host=args.host)
    print(f"starting Label Studio on {server.url} (first start migrates the database: ~1 min) ...")
    server.start()
    try:
        LabelStudioGateway(server.url, creds.token).whoami()
    except StatemediaError as err:
        server.stop()
        raise ConfigError(
            f"{err}. The data in {args.state_dir / 'data'} was created with another token: set "
            f"STATEMEDIA_LS_TOKEN to it, or move that directory away to start afresh."
        ) from err
    print(
        f"Label Studio is running at {server.url}\n"
        f"  log in as {creds.user} (password in {args.state_dir / 'credentials.env'}"
        " or STATEMEDIA_LS_PASSWORD)\n"
        f"  API token: STATEMEDIA_LS_TOKEN in the same file; stop with Ctrl-C"
    )
    return server


def cmd_serve(args: argparse.Namespace) -> int:
    """Run a local Label Studio in the foreground."""
    server = _start_local(args)
    return server.wait()


def cmd_up(args: argparse.Namespace) -> int:
    """Run a local Label Studio, push the chosen release into it, keep running."""
    server = _start_local(args)
    try:
        args.url, args.token = server.url, server.credentials.token
        cmd_push(args)
    except BaseException:
        server.stop()
        raise
    return server.wait()


def _gateway(args: argparse.Namespace) -> LabelStudioGateway:
    gateway = LabelStudioGateway(resolve_url(args.url), resolve_token(args.token, args.state_dir))
    gateway.whoami()  # fail early and clearly on a wrong URL or token
    return gateway


def cmd_push(args: argparse.Namespace) -> int:
    """Import release posts as tasks; posts already in the project (by post_id) are skipped."""
    if args.annotators_per_task < 2:
        raise ConfigError("--annotators-per-task must be at least 2 (agreement needs overlap)")
    if not 0 <= args.overlap <= 100:
        raise ConfigError("--overlap is a percentage between 0 and 100")
    if args.sample is not None and args.sample < 1:
        raise ConfigError("--sample must be positive")
    scheme = load_scheme(args.scheme)
    version = resolve_release(args.dataset_dir, args.release)
    rows = read_posts(split_path(args.dataset_dir, version, args.split))
    tasks = build_tasks(
        rows, version, args.split, args.sample, args.seed, include_teasers=args.include_teasers
    )
    gateway = _gateway(args)
    project_id, created = gateway.ensure_project(
        args.project,
        render_label_config(scheme),
        maximum_annotations=args.annotators_per_task,
        overlap_cohort_percentage=args.overlap,
        description=(
            f"statemedia label scheme {scheme.version}; codebook annotation/GUIDELINES.md. "
            "Tasks keyed by post_id."
        ),
    )
    todo = new_tasks(tasks, gateway.existing_post_ids(project_id))
    imported = gateway.import_tasks(project_id, todo)
    print(
        f"release {version} split {args.split}: {len(rows)} rows, {len(tasks)} selected, "
        f"{len(tasks) - len(todo)} already in project, {len(imported)} imported "
        f"into {'new' if created else 'existing'} project {project_id} ({args.project!r})"
    )
    return 0


def _load_private_map(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {"pseudonyms": {}, "ls_users": {}}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ConfigError(f"{path}: pseudonym map is not valid JSON ({err.msg})") from err
    return {"pseudonyms": data.get("pseudonyms", {}), "ls_users": data.get("ls_users", {})}


def cmd_pull(args: argparse.Namespace) -> int:
    """Export annotations; write the raw export, tidy rows, problems and machine rows to --out."""
    scheme = load_scheme(args.scheme)
    private_path = args.state_dir / PSEUDONYM_FILE
    private = _load_private_map(private_path)
    if args.export is not None:
        try:
            raw = args.export.read_bytes()
        except OSError as err:
            raise BadInputError(f"{args.export}: cannot read export ({err.strerror})") from err
        tasks = parse_export(raw, source=str(args.export))
        predictions: list[dict[str, Any]] = []
        source: dict[str, Any] = {"export_file": str(args.export)}
    else:
        gateway = _gateway(args)
        project = gateway.find_project(args.project)
        if project is None:
            raise BadInputError(
                f"{gateway.url}: no project titled {args.project!r}; run push first"
            )
        project_id = int(project["id"])
        raw = gateway.export_json(project_id)
        tasks = parse_export(raw, source=f"{gateway.url} project {project_id}")
        predictions = gateway.predictions(project_id)
        for user in gateway.users():
            if user.get("email"):
                private["ls_users"][str(user["id"])] = user["email"]
        source = {"url": gateway.url, "project_id": project_id, "project_title": args.project}

    emails = {int(k): v for k, v in private["ls_users"].items()}
    user_ids = sorted(
        {
            (a["completed_by"]["id"] if isinstance(a["completed_by"], dict) else a["completed_by"])
            for t in tasks
            for a in t["annotations"]
            if a.get("completed_by") is not None
        }
    )
    keys = [annotator_key(uid, emails) for uid in user_ids]
    if any(a.get("completed_by") is None for t in tasks for a in t["annotations"]):
        keys.append(annotator_key(None, emails))
    private["pseudonyms"] = assign_pseudonyms(keys, private["pseudonyms"])
    result = convert_export(tasks, scheme, private["pseudonyms"], emails, predictions)

    summary = {
        **source,
        "pulled_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "export_sha256": sha256(raw).hexdigest(),
        "scheme_version": scheme.version,
        "counts": result.counts,
    }
    # Everything is computed; only now touch the disk, one atomic file at a time.
    out: Path = args.out
    write_atomic(out / "export.json", raw)  # verbatim, as the server sent it
    write_atomic(out / "predictions_raw.json", dumps_json(predictions))
    write_atomic(out / "annotations.jsonl", dumps_jsonl(result.annotations))
    write_atomic(out / "problems.jsonl", dumps_jsonl(result.problems))
    write_atomic(out / "predictions.jsonl", dumps_jsonl(result.predictions))
    write_atomic(out / "pull.json", dumps_json(summary))
    write_atomic(private_path, dumps_json(private), mode=0o600)
    c = result.counts
    print(
        f"pulled {c['tasks']} tasks: {c['annotations_seen']} annotations, {c['kept']} kept, "
        f"{c['problems']} with problems (see {out / 'problems.jsonl'}), "
        f"{c['predictions']} machine predictions kept apart; wrote {out}"
    )
    return 0


def _read_rows(inp: Path) -> list[dict[str, Any]]:
    path = inp / "annotations.jsonl" if inp.is_dir() else inp
    rows = read_jsonl(path)
    for number, row in enumerate(rows, start=1):
        missing = [k for k in ROW_KEYS if k not in row]
        if missing:
            raise BadInputError(f"{path}:{number}: annotation row lacks {missing}")
    return rows


def cmd_agreement(args: argparse.Namespace) -> int:
    """Write agreement.json and agreement.md from pulled annotation rows."""
    scheme: Scheme = load_scheme(args.scheme)
    rows = _read_rows(args.inp)
    results = agreement_mod.compute_agreement(rows, scheme, n_boot=args.bootstrap, seed=args.seed)
    report = agreement_mod.agreement_report(results, scheme, args.bootstrap, args.seed)
    table = agreement_mod.agreement_markdown(results, args.bootstrap, args.seed)
    out: Path = args.out or (args.inp if args.inp.is_dir() else args.inp.parent)
    write_atomic(out / "agreement.json", dumps_json(report))
    write_atomic(out / "agreement.md", table)
    sys.stdout.write(table)
    return 0


def cmd_gold(args: argparse.Namespace) -> int:
    """Write gold.jsonl and adjudication.jsonl from pulled annotation rows."""
    scheme = load_scheme(args.scheme)
    rows = _read_rows(args.inp)
    gold, queue = gold_mod.aggregate(rows, scheme, min_annotators=args.min_annotators)
    if args.adjudicated is not None:
        gold = gold_mod.apply_adjudications(gold, read_jsonl(args.adjudicated), scheme)
        decided = {(g["post_id"], f) for g in gold for f in g["adjudicated_fields"]}
        queue = [q for q in queue if (q["post_id"], q["field"]) not in decided]
    out: Path = args.out or (args.inp if args.inp.is_dir() else args.inp.parent)
    write_atomic(out / "gold.jsonl", dumps_jsonl(gold))
    write_atomic(out / "adjudication.jsonl", dumps_jsonl(queue))
    resolved = sum(1 for g in gold if g["status"] == gold_mod.RESOLVED)
    print(
        f"gold: {len(gold)} posts, {resolved} resolved, {len(gold) - resolved} awaiting "
        f"adjudication ({len(queue)} fields in {out / 'adjudication.jsonl'}); "
        f"rule {gold_mod.AGGREGATION}"
    )
    return 0

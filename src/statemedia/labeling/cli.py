"""`statemedia annotate ...`: thin handlers joining release files, the pure steps and the gateway.

`add_annotate_parser(subparsers)` registers the group; every sub-command sets `func`, a handler
taking the parsed args and returning an exit code. Failures are raised as StatemediaError
subclasses; outputs are computed first and written atomically last, so a failed command leaves no
partial files.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from hashlib import sha256
from pathlib import Path
from typing import TYPE_CHECKING, Any

from statemedia.config import CONFIG_FILE, BuildPaths, load_config
from statemedia.errors import BadInputError, ConfigError, StatemediaError
from statemedia.fileio import read_json, read_text
from statemedia.labeling import agreement as agreement_mod
from statemedia.labeling import gold as gold_mod
from statemedia.labeling.assignment import RULE as ASSIGNMENT_RULE
from statemedia.labeling.assignment import Assignment, assign
from statemedia.labeling.coders import (
    FIRST_CODER_PORT,
    Coder,
    add_coders,
    ensure_blind,
    read_coders,
    registry_path,
    running,
    write_coders,
)
from statemedia.labeling.export import (
    PullResult,
    annotator_keys,
    assign_pseudonyms,
    convert_export,
    foreign_annotators,
    merge_results,
    parse_export,
    parse_predictions,
)
from statemedia.labeling.files import (
    ADJUDICATION_FILE,
    AGREEMENT_FILE,
    AGREEMENT_TABLE_FILE,
    ANNOTATIONS_FILE,
    ASSIGNMENT_FILE,
    EXPORT_FILE,
    GOLD_FILE,
    PREDICTIONS_FILE,
    PREDICTIONS_RAW_FILE,
    PROBLEMS_FILE,
    PSEUDONYM_FILE,
    PULL_FILE,
    coder_export_file,
    dumps_json,
    dumps_records,
    read_records,
    write_atomic,
)
from statemedia.labeling.records import (
    ADJUDICATOR_PREFIX,
    Annotation,
    AnnotatorMap,
    Decision,
    GoldLabel,
    Origin,
    adjudicator_key,
    next_pseudonyms,
    parse_row,
)
from statemedia.labeling.scheme import (
    LABEL_CONFIG_PATH,
    Scheme,
    load_scheme,
    render_label_config,
)
from statemedia.labeling.server import (
    CREDENTIALS_FILE,
    DEFAULT_HOST,
    DEFAULT_PORT,
    DEFAULT_STATE_DIR,
    FIRST_START_ESTIMATE,
    LocalServer,
    load_credentials,
    resolve_token,
    resolve_url,
    wait_all,
)
from statemedia.labeling.tasks import (
    build_tasks,
    new_tasks,
    read_posts,
    resolve_release,
    split_paths,
)
from statemedia.vocab import SPLITS, LabelStatus, Table

if TYPE_CHECKING:
    from statemedia.labeling.gateway import LabelStudioGateway

DEFAULT_PROJECT = "statemedia: topic and stance"


# -- parser ------------------------------------------------------------------------------------


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scheme", type=Path, default=None, help="label scheme (schema/labels.json)")
    p.add_argument(
        "--state-dir",
        type=Path,
        default=DEFAULT_STATE_DIR,
        help="local Label Studio data, credentials and pseudonym map (default .labelstudio)",
    )


def _project(p: argparse.ArgumentParser) -> None:
    p.add_argument("--project", default=DEFAULT_PROJECT, help="project title")


def _remote(p: argparse.ArgumentParser) -> None:
    p.add_argument("--url", default=None, help="server URL (env STATEMEDIA_LS_URL)")
    p.add_argument("--token", default=None, help="API token (env STATEMEDIA_LS_TOKEN)")
    _project(p)


def _push(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--dataset-dir",
        type=Path,
        default=None,
        help="releases folder (default: [build] dataset_dir of statemedia.toml)",
    )
    p.add_argument("--release", default="latest", help="release version or 'latest'")
    p.add_argument("--split", default=Table.TRAIN.value, choices=[s.value for s in SPLITS])
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


def _mode(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--single-project",
        action="store_true",
        help=(
            "use one shared project on --url even when coders are registered (not blind: "
            "coders can read each other's labels; see README, Blind coding)"
        ),
    )


def _coders(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=("add", "list"), help="register coders, or list them")
    p.add_argument("emails", nargs="*", metavar="EMAIL", help="coders to add (their logins)")
    p.add_argument(
        "--first-port",
        type=int,
        default=FIRST_CODER_PORT,
        help=f"port of the first coder's server; each next coder gets the next one "
        f"(default {FIRST_CODER_PORT})",
    )


def _server(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=int, default=DEFAULT_PORT)
    p.add_argument("--host", default=DEFAULT_HOST, help="bind address (keep it on loopback)")


def _pulled(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--in",
        dest="inp",
        type=Path,
        default=None,
        help="pull output folder or annotations.jsonl (default: [build] labels_dir)",
    )
    p.add_argument("--out", type=Path, default=None, help="output folder (default: --in)")


def _config(p: argparse.ArgumentParser) -> None:
    p.add_argument("--write", action="store_true", help="write the file")
    p.add_argument("--check", action="store_true", help="fail if the committed file is stale")
    p.add_argument("--path", type=Path, default=LABEL_CONFIG_PATH)


def _pull(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, required=True, help="output folder (new or empty)")
    p.add_argument("--export", type=Path, help="convert this saved JSON export (no server needed)")
    p.add_argument(
        "--replace",
        action="store_true",
        help="replace a non-empty --out folder as a whole (earlier gold and agreement go too)",
    )


def _publish(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--in", dest="inp", type=Path, required=True, help="pull folder (--out of annotate pull)"
    )


def _agreement(p: argparse.ArgumentParser) -> None:
    p.add_argument("--bootstrap", type=int, default=agreement_mod.DEFAULT_BOOTSTRAP)
    p.add_argument("--seed", type=int, default=agreement_mod.DEFAULT_SEED)


def _gold(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--min-annotators",
        type=int,
        default=None,
        help=(
            "valid coders a gold value needs (default: [labeling] min_annotators of "
            "statemedia.toml, 2); posts with fewer get no gold row. Lower it to 1 only "
            "deliberately: gold.jsonl then marks single-coder labels"
        ),
    )
    p.add_argument(
        "--adjudicated",
        type=Path,
        default=None,
        help="JSONL of decisions: post_id, field, value, reason, adjudicator (GUIDELINES §5)",
    )


Options = Callable[[argparse.ArgumentParser], None]
Handler = Callable[[argparse.Namespace], int]


def add_annotate_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `annotate` and its sub-commands on an argparse subparsers object."""
    parser = subparsers.add_parser(
        "annotate", help="collect topic and stance labels in Label Studio"
    )
    sub = parser.add_subparsers(dest="annotate_command", metavar="COMMAND", required=True)
    # name, help, handler, option groups (every command also takes --scheme and --state-dir)
    commands: tuple[tuple[str, str, Handler, tuple[Options, ...]], ...] = (
        ("config", "print, write or check annotation/label_config.xml", cmd_config, (_config,)),
        (
            "coders",
            "register blind coders: a Label Studio server, login and pseudonym each",
            cmd_coders,
            (_coders,),
        ),
        ("serve", "run a local Label Studio until Ctrl-C", cmd_serve, (_server,)),
        (
            "up",
            "serve (every coder's server, once coders are added), push the newest release, "
            "keep running",
            cmd_up,
            (_server, _push, _project, _mode),
        ),
        (
            "push",
            "import release posts as tasks (idempotent by post_id)",
            cmd_push,
            (_remote, _push, _mode),
        ),
        (
            "pull",
            "export annotations into tidy, validated rows",
            cmd_pull,
            (_remote, _pull, _mode),
        ),
        (
            "agreement",
            "Krippendorff's alpha per field, with bootstrap CI",
            cmd_agreement,
            (_pulled, _agreement),
        ),
        (
            "gold",
            "majority labels; ties and low agreement to adjudication",
            cmd_gold,
            (_pulled, _gold),
        ),
        (
            "publish",
            "copy a pull folder's labels and agreement into [build] labels_dir",
            cmd_publish,
            (_publish,),
        ),
    )
    for name, help_text, handler, groups in commands:
        p = sub.add_parser(name, help=help_text)
        for add_options in (_common, *groups):
            add_options(p)
        p.set_defaults(func=handler)
    return parser


# -- configuration -----------------------------------------------------------------------------


def _root(args: argparse.Namespace) -> Path:
    return Path(args.root).resolve()


def _build_paths(args: argparse.Namespace) -> BuildPaths:
    """The `[build]` paths of the repository's statemedia.toml (read only when a default is used)."""
    return load_config(_root(args) / CONFIG_FILE).build


def _dataset_dir(args: argparse.Namespace) -> Path:
    given: Path | None = args.dataset_dir
    return given if given is not None else _root(args) / _build_paths(args).dataset_dir


def _pulled_paths(args: argparse.Namespace) -> tuple[Path, Path]:
    """(annotations.jsonl to read, folder to write) for `agreement` and `gold`."""
    given: Path | None = args.inp
    inp = given if given is not None else _root(args) / _build_paths(args).labels_dir
    folder = inp if inp.is_dir() else inp.parent
    out: Path = args.out or folder
    return (inp / ANNOTATIONS_FILE if inp.is_dir() else inp), out


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
    print(
        f"starting Label Studio on {server.url}; log: {server.log_path}\n"
        f"  {server.estimate()}; a progress line follows every few seconds",
        flush=True,
    )
    server.start(progress=lambda line: print(line, flush=True))
    try:
        from statemedia.labeling.gateway import LabelStudioGateway  # the SDK: slow to import

        LabelStudioGateway(server.url, creds.token).whoami()
    except StatemediaError as err:
        server.stop()
        raise ConfigError(
            f"{err}. The data in {args.state_dir / 'data'} was created with another token: set "
            f"STATEMEDIA_LS_TOKEN to it, or move that directory away to start afresh."
        ) from err
    print(
        f"Label Studio is running at {server.url}\n"
        f"  log in as {creds.user} (password in {args.state_dir / CREDENTIALS_FILE}"
        " or STATEMEDIA_LS_PASSWORD)\n"
        f"  API token: STATEMEDIA_LS_TOKEN in the same file; stop with Ctrl-C"
    )
    return server


def cmd_serve(args: argparse.Namespace) -> int:
    """Run a local Label Studio in the foreground."""
    server = _start_local(args)
    return server.wait()


def _blind(args: argparse.Namespace) -> list[Coder]:
    """The registered coders when this command works blind; [] for the single-project mode."""
    if getattr(args, "single_project", False):
        return []
    coders = read_coders(args.state_dir)
    if coders:
        ensure_blind(coders, args.state_dir)
    return coders


def cmd_coders(args: argparse.Namespace) -> int:
    """`coders add EMAIL...`: register coders (pseudonym, port, login); `coders list`: show them."""
    coders = read_coders(args.state_dir)
    if args.action == "add":
        if not args.emails:
            raise ConfigError("`annotate coders add` needs one or more EMAIL arguments")
        private_path = args.state_dir / PSEUDONYM_FILE
        coders, private, added = add_coders(
            coders, args.emails, _load_private_map(private_path), args.first_port
        )
        # The registry first: a crash between the two writes leaves a coder without an entry in
        # the pseudonym map, which the next `coders add` repairs, never two pseudonyms for one.
        write_coders(args.state_dir, coders)
        write_atomic(private_path, dumps_json(private.to_dict()), mode=0o600)
        print(
            f"added {len(added)} coder(s); {len(coders)} registered in {registry_path(args.state_dir)}"
        )
    elif args.emails:
        raise ConfigError("`annotate coders list` takes no EMAIL arguments")
    for coder in coders:
        print(f"  {coder.pseudonym}  {coder.email}  {coder.url()}")
    if len(coders) < 2:
        print("  blind coding needs two coders or more: `statemedia annotate coders add EMAIL`")
    elif args.action == "add":
        print(
            "next: `statemedia annotate up` starts one Label Studio per coder and gives each "
            f"their tasks; logins and passwords are in {registry_path(args.state_dir)} (mode "
            "0600): hand each coder only their own"
        )
    return 0


def _start_coders(
    args: argparse.Namespace, coders: list[Coder]
) -> AbstractContextManager[list[LocalServer]]:
    """A context manager running every coder's server, with progress lines while they start."""
    first = [c.pseudonym for c in coders if c.server(args.state_dir).first_start]
    print(
        f"starting {len(coders)} Label Studio servers, one per coder (blind coding)"
        + (
            f"; first start for {', '.join(first)}: each builds its database, "
            f"{FIRST_START_ESTIMATE}"
            if first
            else ""
        ),
        flush=True,
    )
    return running(coders, args.state_dir, progress=lambda line: print(line, flush=True))


def cmd_up(args: argparse.Namespace) -> int:
    """Run Label Studio (the lead's server, or one per registered coder), push the chosen release
    into it, show the codebook, keep running until Ctrl-C."""
    coders = _blind(args)
    if coders:
        with _start_coders(args, coders) as servers:
            cmd_push(args)
            for coder in coders:
                print(f"  {coder.pseudonym}: {coder.url()}  login {coder.email}")
            print(f"  passwords: {registry_path(args.state_dir)}; stop all with Ctrl-C")
            return wait_all(servers)  # `running` stops them all again: a no-op
    server = _start_local(args)
    try:
        args.url, args.token = server.url, server.credentials.token
        cmd_push(args)  # also shows the codebook
    except BaseException:
        server.stop()
        raise
    return server.wait()


def _show_codebook(args: argparse.Namespace, gateway: LabelStudioGateway, project_id: int) -> None:
    """Set the project's instructions (shown before labeling) from annotation/GUIDELINES.md."""
    from statemedia.labeling.instructions import GUIDELINES_REPO_PATH, load_instructions

    homepage = load_config(_root(args) / CONFIG_FILE).project.homepage
    html = load_instructions(homepage, _root(args) / GUIDELINES_REPO_PATH)
    state = gateway.ensure_instructions(project_id, html)
    what = {
        "set": "set",
        "updated": "were stale: updated",
        "current": "are up to date",
    }[state]
    print(
        f"project {project_id}: instructions (the codebook's definitions and decision rules from "
        f"{GUIDELINES_REPO_PATH}, shown before labeling) {what}"
    )


def _gateway(args: argparse.Namespace, coder: Coder | None = None) -> LabelStudioGateway:
    """The server of `coder`, else the one of --url / --token; checked at once."""
    # Imported here: the Label Studio SDK takes seconds to import, and only these commands use it.
    from statemedia.labeling.gateway import LabelStudioGateway

    if coder is not None:
        gateway = LabelStudioGateway(coder.url(), coder.token)
    else:
        gateway = LabelStudioGateway(
            resolve_url(args.url), resolve_token(args.token, args.state_dir)
        )
    gateway.whoami()  # fail early and clearly on a wrong URL or token
    return gateway


def _read_assignment(state_dir: Path) -> Assignment | None:
    path = state_dir / ASSIGNMENT_FILE
    if not path.is_file():
        return None
    return parse_row(read_json(path, ConfigError), Assignment.from_dict, str(path), ConfigError)


def cmd_push(args: argparse.Namespace) -> int:
    """Import release posts as tasks (posts already in a project, by post_id, are skipped), and
    set the instructions from the codebook; blind coding: into each coder's own server."""
    if args.annotators_per_task < 2:
        raise ConfigError("--annotators-per-task must be at least 2 (agreement needs overlap)")
    if not 0 <= args.overlap <= 100:
        raise ConfigError("--overlap is a percentage between 0 and 100")
    if args.sample is not None and args.sample < 1:
        raise ConfigError("--sample must be positive")
    coders = _blind(args)  # a blind push with one coder is refused before anything is read
    scheme = load_scheme(args.scheme)
    dataset_dir = _dataset_dir(args)
    version = resolve_release(dataset_dir, args.release)
    rows = [
        row for path in split_paths(dataset_dir, version, args.split) for row in read_posts(path)
    ]
    tasks = build_tasks(
        rows, version, args.split, args.sample, args.seed, include_teasers=args.include_teasers
    )
    description = (
        f"statemedia label scheme {scheme.version}; codebook annotation/GUIDELINES.md. "
        "Tasks keyed by post_id."
    )
    selected = f"release {version} split {args.split}: {len(rows)} rows, {len(tasks)} selected"
    if not coders:
        gateway = _gateway(args)
        project_id, created = gateway.ensure_project(
            args.project,
            render_label_config(scheme),
            maximum_annotations=args.annotators_per_task,
            overlap_cohort_percentage=args.overlap,
            description=description,
        )
        todo = new_tasks(tasks, gateway.existing_post_ids(project_id))
        imported = gateway.import_tasks(project_id, todo)
        print(
            f"{selected}, {len(tasks) - len(todo)} already in project, {len(imported)} imported "
            f"into {'new' if created else 'existing'} project {project_id} ({args.project!r})"
        )
        _show_codebook(args, gateway, project_id)  # on every push: stale instructions updated
        return 0

    design = assign(
        tasks,
        [c.pseudonym for c in coders],
        args.overlap,
        args.seed,
        _read_assignment(args.state_dir),
    )
    # Written before any import: a push that fails half-way is re-run with the same design.
    write_atomic(args.state_dir / ASSIGNMENT_FILE, dumps_json(design.to_dict()))
    reliability = sum(a.reliability for a in design.posts)
    print(
        f"{selected}; design {ASSIGNMENT_RULE}: {reliability} of {len(design.posts)} posts in the "
        f"reliability sample (every coder; {args.overlap}% of each source x month stratum), the "
        f"rest coded once; written to {args.state_dir / ASSIGNMENT_FILE}"
    )
    for coder in coders:
        gateway = _gateway(args, coder)
        # Each coder codes a task once, in their own project: overlap comes from the design.
        project_id, created = gateway.ensure_project(
            args.project,
            render_label_config(scheme),
            maximum_annotations=1,
            overlap_cohort_percentage=100,
            description=description,
        )
        mine = design.for_coder(coder.pseudonym)
        todo = new_tasks(
            [t for t in tasks if t.post_id in mine], gateway.existing_post_ids(project_id)
        )
        imported = gateway.import_tasks(project_id, todo)
        print(
            f"{coder.pseudonym} ({gateway.url}): {len(imported)} tasks imported into "
            f"{'new' if created else 'existing'} project {project_id}; {len(mine)} assigned"
        )
        _show_codebook(args, gateway, project_id)
    return 0


def _load_private_map(path: Path) -> AnnotatorMap:
    if not path.is_file():
        return AnnotatorMap(pseudonyms={}, ls_users={})
    data = read_json(path, ConfigError)
    return parse_row(data, AnnotatorMap.from_dict, f"{path}: pseudonym map", ConfigError)


@dataclass(frozen=True, slots=True)
class _Pulled:
    """What a pull read: rows, the verbatim files to keep, where it came from."""

    result: PullResult
    raw: dict[str, str | bytes]  # pull folder file name -> verbatim content
    export_sha256: str
    source: dict[str, Any]
    private: AnnotatorMap


def _pull_single(args: argparse.Namespace, scheme: Scheme, private: AnnotatorMap) -> _Pulled:
    """One export (a saved file, or one project on --url) into rows."""
    source: dict[str, Any]
    if args.export is not None:
        # Kept byte for byte (export.json, export_sha256): UTF-8 text re-encodes to the same bytes.
        raw = read_text(args.export, BadInputError).encode("utf-8")
        where = str(args.export)
        tasks = parse_export(raw, source=where)
        raw_predictions: list[Any] = []
        source = {"export_file": where}
    else:
        gateway = _gateway(args)
        project = gateway.find_project(args.project)
        if project is None:
            raise BadInputError(
                f"{gateway.url}: no project titled {args.project!r}; run push first"
            )
        where = f"{gateway.url} project {project.id}"
        raw = gateway.export_json(project.id)
        tasks = parse_export(raw, source=where)
        raw_predictions = gateway.predictions(project.id)
        emails = {str(user.id): user.email for user in gateway.users() if user.email}
        private = replace(private, ls_users={**private.ls_users, **emails})
        source = {"url": gateway.url, "project_id": project.id, "project_title": args.project}
    predictions = parse_predictions(raw_predictions, source=f"{where} predictions")
    emails_by_id = private.emails()
    private = replace(
        private,
        pseudonyms=assign_pseudonyms(annotator_keys(tasks, emails_by_id), private.pseudonyms),
    )
    result = convert_export(tasks, scheme, private.pseudonyms, emails_by_id, predictions)
    files: dict[str, str | bytes] = {
        EXPORT_FILE: raw,
        PREDICTIONS_RAW_FILE: dumps_json(raw_predictions),
    }
    return _Pulled(result, files, sha256(raw).hexdigest(), source, private)


def _pull_blind(
    args: argparse.Namespace, scheme: Scheme, private: AnnotatorMap, coders: list[Coder]
) -> _Pulled:
    """Every coder's project, each from their own server, into one table of rows."""
    results: list[PullResult] = []
    files: dict[str, str | bytes] = {}
    projects: list[dict[str, Any]] = []
    raw_predictions: dict[str, Any] = {}
    for coder in coders:
        gateway = _gateway(args, coder)
        project = gateway.find_project(args.project)
        if project is None:
            raise BadInputError(
                f"{gateway.url} ({coder.pseudonym}): no project titled {args.project!r}; run "
                "`statemedia annotate push` first"
            )
        where = f"{gateway.url} ({coder.pseudonym}) project {project.id}"
        raw = gateway.export_json(project.id)
        tasks = parse_export(raw, source=where)
        me = gateway.whoami()
        foreign = foreign_annotators(tasks, me.id)
        if foreign:
            raise BadInputError(
                f"{where}: has annotations by Label Studio user(s) {foreign}, not only by the "
                f"coder {coder.pseudonym} (user {me.id}); a coder's server must hold their work "
                "alone: find out who else logged in there before using these labels"
            )
        listed = gateway.predictions(project.id)
        predictions = parse_predictions(listed, source=f"{where} predictions")
        emails = {me.id: coder.email}  # user ids repeat across servers: map one server at a time
        results.append(convert_export(tasks, scheme, private.pseudonyms, emails, predictions))
        files[coder_export_file(coder.pseudonym)] = raw
        raw_predictions[coder.pseudonym] = listed
        projects.append(
            {
                "annotator": coder.pseudonym,
                "url": gateway.url,
                "project_id": project.id,
                "export_sha256": sha256(raw).hexdigest(),
            }
        )
    files[PREDICTIONS_RAW_FILE] = dumps_json(raw_predictions)
    design = args.state_dir / ASSIGNMENT_FILE
    if design.is_file():
        files[ASSIGNMENT_FILE] = design.read_bytes()
    # One digest for the pull (publish orders and identifies pulls by it): over the per-coder ones.
    combined = "".join(f"{p['annotator']} {p['export_sha256']}\n" for p in projects)
    source = {"mode": "blind", "project_title": args.project, "coders": projects}
    return _Pulled(
        merge_results(results), files, sha256(combined.encode()).hexdigest(), source, private
    )


def cmd_pull(args: argparse.Namespace) -> int:
    """Export annotations; write the raw export(s), tidy rows, problems and machine rows to --out."""
    from statemedia.labeling.publication import check_pull_out, write_folder

    out: Path = args.out
    check_pull_out(out, args.replace)  # before any server is asked anything
    scheme = load_scheme(args.scheme)
    private_path = args.state_dir / PSEUDONYM_FILE
    private = _load_private_map(private_path)
    coders = [] if args.export is not None else _blind(args)
    if coders:
        pulled = _pull_blind(args, scheme, private, coders)
    else:
        pulled = _pull_single(args, scheme, private)
    result = pulled.result
    summary = {
        **pulled.source,
        # Orders publications (`annotate publish` refuses an older pull): microseconds, so two
        # pulls in the same second still differ.
        "pulled_at": datetime.now(UTC).isoformat(timespec="microseconds"),
        "export_sha256": pulled.export_sha256,
        "scheme_version": scheme.version,
        "counts": result.counts,
    }
    # Everything is computed; only now touch the disk: the folder is staged, then renamed in whole.
    outputs: dict[str, str | bytes] = {
        **pulled.raw,  # verbatim, as the server(s) sent it
        ANNOTATIONS_FILE: dumps_records(result.annotations),
        PROBLEMS_FILE: dumps_records(result.problems),
        PREDICTIONS_FILE: dumps_records(result.predictions),
        PULL_FILE: dumps_json(summary),
    }
    write_folder(out, outputs)
    write_atomic(private_path, dumps_json(pulled.private.to_dict()), mode=0o600)
    c = result.counts
    print(
        f"pulled {c['tasks']} tasks"
        + (
            f" from {len(coders)} coders' servers (a reliability-sample post is a task on each)"
            if coders
            else ""
        )
        + f": {c['annotations_seen']} annotations, {c['kept']} kept, "
        f"{c['problems']} with problems (see {out / PROBLEMS_FILE}), "
        f"{c['predictions']} machine predictions kept apart; wrote {out}"
    )
    return 0


def cmd_agreement(args: argparse.Namespace) -> int:
    """Write agreement.json and agreement.md from pulled annotation rows."""
    scheme = load_scheme(args.scheme)
    min_items = load_config(_root(args) / CONFIG_FILE).labeling.agreement_min_items
    path, out = _pulled_paths(args)
    rows = read_records(path, Annotation.from_dict)
    digest = sha256(path.read_bytes()).hexdigest()  # read_records has just read it
    results = agreement_mod.compute_agreement(
        rows, scheme, min_items=min_items, n_boot=args.bootstrap, seed=args.seed
    )
    report = agreement_mod.agreement_report(
        results, scheme, args.bootstrap, args.seed, min_items, digest
    )
    table = agreement_mod.agreement_markdown(results, args.bootstrap, args.seed, min_items)
    write_atomic(out / AGREEMENT_FILE, dumps_json(report))
    write_atomic(out / AGREEMENT_TABLE_FILE, table)
    sys.stdout.write(table)
    return 0


def cmd_gold(args: argparse.Namespace) -> int:
    """Write gold.jsonl and adjudication.jsonl from pulled annotation rows and any decisions."""
    scheme = load_scheme(args.scheme)
    path, out = _pulled_paths(args)
    rows = read_records(path, Annotation.from_dict)
    given: int | None = args.min_annotators
    minimum = (
        given
        if given is not None
        else load_config(_root(args) / CONFIG_FILE).labeling.min_annotators
    )
    gold, queue = gold_mod.aggregate(rows, scheme, min_annotators=minimum)
    private_path = args.state_dir / PSEUDONYM_FILE
    private: AnnotatorMap | None = None
    if args.adjudicated is not None:
        decisions = read_records(args.adjudicated, Decision.from_dict)
        private = _load_private_map(private_path)
        decisions, private = _pseudonymise_adjudicators(decisions, gold, private, args.adjudicated)
        gold = gold_mod.apply_adjudications(gold, decisions, scheme)
    listed = {(g.post_id, f) for g in gold for f in g.unresolved_fields}
    queue = [q for q in queue if (q.post_id, q.field) in listed]
    write_atomic(out / GOLD_FILE, dumps_records(gold))
    write_atomic(out / ADJUDICATION_FILE, dumps_records(queue))
    if private is not None:
        write_atomic(private_path, dumps_json(private.to_dict()), mode=0o600)
    resolved = sum(1 for g in gold if g.status is LabelStatus.RESOLVED)
    coded = {r.post_id for r in rows if r.origin is Origin.HUMAN}
    print(
        f"gold: {len(gold)} posts, {resolved} resolved, {len(gold) - resolved} awaiting "
        f"adjudication ({len(queue)} fields in {out / ADJUDICATION_FILE}); "
        f"{len(coded) - len(gold)} posts with fewer than {minimum} valid coders left "
        f"out; rule {gold_mod.AGGREGATION}"
    )
    return 0


def _pseudonymise_adjudicators(
    decisions: list[Decision], gold: list[GoldLabel], private: AnnotatorMap, where: Path
) -> tuple[list[Decision], AnnotatorMap]:
    """Decisions with the adjudicator replaced by its pseudonym (the next `adjudicator_NN` for a
    new one, kept in the private map); an adjudicator who coded the post is refused (§5)."""
    known = set(private.adjudicators.values())
    keys = [adjudicator_key(d.adjudicator) for d in decisions if d.adjudicator not in known]
    adjudicators = next_pseudonyms(keys, private.adjudicators, ADJUDICATOR_PREFIX)
    coders = {g.post_id: set(g.annotators) for g in gold}
    renamed = []
    for number, decision in enumerate(decisions, start=1):
        key = None if decision.adjudicator in known else adjudicator_key(decision.adjudicator)
        if key is not None and private.pseudonyms.get(key) in coders.get(decision.post_id, ()):
            raise BadInputError(
                f"{where}: decision {number}: {decision.post_id} was coded by its adjudicator "
                f"({private.pseudonyms[key]}); GUIDELINES §5 asks for someone who did not code it"
            )
        pseudonym = decision.adjudicator if key is None else adjudicators[key]
        renamed.append(replace(decision, adjudicator=pseudonym))
    return renamed, replace(private, adjudicators=adjudicators)


def cmd_publish(args: argparse.Namespace) -> int:
    """Copy a pull folder's annotations, gold, adjudication queue and agreement into labels_dir."""
    from statemedia.labeling.publication import publish

    labels_dir = _root(args) / _build_paths(args).labels_dir
    publication = publish(args.inp, labels_dir)
    print(
        f"published {', '.join(sorted(publication.files))} from {args.inp} (pulled at "
        f"{publication.pulled_at}) into {labels_dir}; the next release joins them"
    )
    return 0

"""The only network code of the project: one small class over label_studio_sdk.

Every call goes through `_call`, which turns connection failures, timeouts and HTTP errors into
`LabelStudioError` with the server URL and what to do. Callers get small records (`User`,
`Project`) or, for what is stored verbatim or only looked at, plain JSON dicts; never SDK models.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal, TypeVar

import httpx
from label_studio_sdk import LabelStudio
from label_studio_sdk.core.api_error import ApiError
from label_studio_sdk.types import AllRolesProjectList, RoleBasedTask

from statemedia.errors import LabelStudioError
from statemedia.labeling.records import Task

T = TypeVar("T")

IMPORT_BATCH = 500  # tasks per import request: far below the server's 250k/200 MB limit


def _plain(model: Any) -> Any:
    """SDK model → JSON-able dict (the SDK uses pydantic models)."""
    if hasattr(model, "model_dump"):
        return model.model_dump(mode="json")
    return model


@dataclass(frozen=True, slots=True)
class User:
    """A Label Studio user: the id that annotations carry in `completed_by`, and the email."""

    id: int
    email: str | None


@dataclass(frozen=True, slots=True)
class ProjectSettings:
    """The project settings that `ensure_project` manages."""

    label_config: str
    maximum_annotations: int | None
    overlap_cohort_percentage: int | None
    description: str
    show_overlap_first: bool | None

    def same_as(self, other: ProjectSettings) -> bool:
        """Equal settings; the server stores the config without its trailing newline."""
        return replace(self, label_config=self.label_config.strip()) == replace(
            other, label_config=other.label_config.strip()
        )


@dataclass(frozen=True, slots=True)
class Project:
    """A Label Studio project: its id, title and managed settings."""

    id: int
    title: str
    settings: ProjectSettings


class LabelStudioGateway:
    """A Label Studio server reached with one API token (legacy token or personal access token).

    The SDK detects the token kind: a legacy token is sent as `Token <key>`; a personal access token
    (a JWT refresh token) is exchanged at /api/token/refresh/ for short-lived access tokens.
    """

    def __init__(self, url: str, token: str, timeout: float = 60.0) -> None:
        if not token:
            raise LabelStudioError(
                "no Label Studio API token: set STATEMEDIA_LS_TOKEN, pass --token, or run "
                "`statemedia annotate serve` once to generate .labelstudio/credentials.env"
            )
        self.url = url.rstrip("/")
        try:
            # max_retries=0: a wrong URL or token should fail at once with our message, not after
            # the SDK's back-off; import/export are idempotent so the user can simply re-run.
            self._client = LabelStudio(
                base_url=self.url, api_key=token, timeout=timeout, max_retries=0
            )
        except ApiError as err:  # an expired personal access token is rejected while decoding
            raise LabelStudioError(f"{self.url}: API token rejected ({_detail(err)})") from err

    def _call(self, what: str, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return func(*args, **kwargs)
        except ApiError as err:
            if err.status_code in (401, 403):
                raise LabelStudioError(
                    f"{self.url}: {what} refused (HTTP {err.status_code}: {_detail(err)}); "
                    "check the API token (Label Studio 1.23 rejects legacy tokens unless the "
                    "organisation enables them)"
                ) from err
            raise LabelStudioError(
                f"{self.url}: {what} failed (HTTP {err.status_code}: {_detail(err)})"
            ) from err
        except httpx.TimeoutException as err:
            raise LabelStudioError(
                f"{self.url}: {what} timed out; is the server overloaded?"
            ) from err
        except httpx.HTTPError as err:
            raise LabelStudioError(
                f"{self.url}: cannot reach Label Studio during {what} "
                f"({type(err).__name__}: {err}); "
                "is the server running (`statemedia annotate serve`) and the URL right?"
            ) from err

    def _id(self, model: Any, what: str) -> int:
        """The id of an object the server returned; an object without one is unusable."""
        value = getattr(model, "id", None)
        if not isinstance(value, int):
            raise LabelStudioError(f"{self.url}: {what}: the server returned no id")
        return value

    def _user(self, model: Any) -> User:
        return User(id=self._id(model, "user"), email=model.email)

    def _project(self, model: Any) -> Project:
        settings = ProjectSettings(
            label_config=model.label_config or "",
            maximum_annotations=model.maximum_annotations,
            overlap_cohort_percentage=model.overlap_cohort_percentage,
            description=model.description or "",
            show_overlap_first=model.show_overlap_first,
        )
        return Project(id=self._id(model, "project"), title=model.title or "", settings=settings)

    # -- identity -------------------------------------------------------------------------------

    def whoami(self) -> User:
        """The user the token belongs to; the cheapest check that URL and token work."""
        return self._user(self._call("authentication check", self._client.users.whoami))

    def users(self) -> list[User]:
        """All users of the server."""
        return [self._user(u) for u in self._call("listing users", self._client.users.list)]

    def create_user(self, email: str, first_name: str = "", last_name: str = "") -> int:
        """Create a user in the token owner's organisation (or find it by email); return its id."""
        for user in self.users():
            if (user.email or "").lower() == email.lower():
                return user.id
        created = self._call(
            f"creating user {email}",
            self._client.users.create,
            username=email.split("@")[0],
            email=email,
            first_name=first_name,
            last_name=last_name,
        )
        return self._id(created, f"creating user {email}")

    # -- projects and tasks ---------------------------------------------------------------------

    def find_project(self, title: str) -> Project | None:
        """The project with exactly this title, or None; two projects with it are an error."""
        # The SDK's `list` wrapper returns a pager of an unbound type variable: name the item type.
        listed: Iterable[AllRolesProjectList] = self._call(
            "listing projects", self._client.projects.list, title=title
        )
        found = self._call(
            "listing projects", lambda: [self._project(p) for p in listed if p.title == title]
        )
        if len(found) > 1:
            ids = ", ".join(str(p.id) for p in found)
            raise LabelStudioError(f"{self.url}: several projects are titled {title!r} (ids {ids})")
        return found[0] if found else None

    def ensure_project(
        self,
        title: str,
        label_config: str,
        maximum_annotations: int,
        overlap_cohort_percentage: int,
        description: str = "",
    ) -> tuple[int, bool]:
        """Create the project, or update an existing one's config and overlap; (id, created)."""
        settings = ProjectSettings(
            label_config=label_config,
            maximum_annotations=maximum_annotations,
            overlap_cohort_percentage=overlap_cohort_percentage,
            description=description,
            # show doubly-coded tasks first, so the reliability sample fills before the rest
            show_overlap_first=True,
        )
        project = self.find_project(title)
        if project is None:
            created = self._call(
                f"creating project {title!r}",
                self._client.projects.create,
                title=title,
                **asdict(settings),
            )
            return self._id(created, f"creating project {title!r}"), True
        if not project.settings.same_as(settings):
            self._call(
                f"updating project {title!r}",
                self._client.projects.update,
                project.id,
                **asdict(settings),
            )
        return project.id, False

    def ensure_instructions(
        self, project_id: int, html: str
    ) -> Literal["set", "updated", "current"]:
        """Show `html` to annotators before they label; return "set", "updated" or "current"."""
        model = self._call("reading project", self._client.projects.get, project_id)
        stored = model.expert_instruction or ""
        if stored == html and model.show_instruction:
            return "current"
        self._call(
            f"setting the instructions of project {project_id}",
            self._client.projects.update,
            project_id,
            expert_instruction=html,
            show_instruction=True,
        )
        return "updated" if stored else "set"

    def project(self, project_id: int) -> Project:
        """One project's settings."""
        return self._project(self._call("reading project", self._client.projects.get, project_id))

    def tasks(self, project_id: int) -> list[dict[str, Any]]:
        """All tasks of a project (id and data only), as the API's JSON."""
        pager: Iterable[RoleBasedTask] = self._call(
            "listing tasks",
            self._client.tasks.list,
            project=project_id,
            fields="task_only",
            page_size=1000,
        )
        return self._call("listing tasks", lambda: [_plain(t) for t in pager])

    def existing_post_ids(self, project_id: int) -> set[str]:
        """post_ids of the tasks already in the project."""
        return {
            str(t["data"]["post_id"]) for t in self.tasks(project_id) if t["data"].get("post_id")
        }

    def import_tasks(self, project_id: int, tasks: Sequence[Task]) -> list[int]:
        """Import tasks in batches; return the new task ids."""
        ids: list[int] = []
        for start in range(0, len(tasks), IMPORT_BATCH):
            batch = [task.payload() for task in tasks[start : start + IMPORT_BATCH]]
            response = self._call(
                "importing tasks",
                self._client.projects.import_tasks,
                project_id,
                request=batch,
                return_task_ids=True,
            )
            # The SDK's response model does not declare `task_ids`; it arrives as an extra field.
            ids.extend(int(i) for i in (_plain(response).get("task_ids") or []))
        return ids

    # -- annotations and predictions ------------------------------------------------------------

    def create_annotation(
        self,
        task_id: int,
        result: list[dict[str, Any]],
        completed_by: int | None = None,
        lead_time: float | None = None,
    ) -> int:
        """Submit an annotation on a task; `completed_by` attributes it when an admin imports it."""
        extra: dict[str, Any] = {}
        if completed_by is not None:
            extra["completed_by"] = completed_by
        if lead_time is not None:
            extra["lead_time"] = lead_time
        ann = self._call(
            f"annotating task {task_id}",
            self._client.annotations.create,
            task_id,
            result=result,
            **extra,
        )
        return self._id(ann, f"annotating task {task_id}")

    def create_prediction(
        self,
        task_id: int,
        result: list[dict[str, Any]],
        model_version: str,
        score: float | None = None,
    ) -> int:
        """Attach a machine pre-annotation to a task."""
        extra = {"score": score} if score is not None else {}
        pred = self._call(
            f"adding a prediction to task {task_id}",
            self._client.predictions.create,
            task=task_id,
            result=result,
            model_version=model_version,
            **extra,
        )
        return self._id(pred, f"adding a prediction to task {task_id}")

    def predictions(self, project_id: int) -> list[dict[str, Any]]:
        """All machine predictions of a project, in full (the JSON export only lists their ids)."""
        return [
            _plain(p)
            for p in self._call(
                "listing predictions", self._client.predictions.list, project=project_id
            )
        ]

    def export_json(self, project_id: int) -> bytes:
        """The project's JSON export, every task included, byte for byte as the server sent it."""

        def download() -> bytes:
            chunks = self._client.projects.exports.download_sync(
                project_id, export_type="JSON", download_all_tasks=True
            )
            return b"".join(chunks)

        data = self._call("exporting annotations", download)
        try:
            json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise LabelStudioError(
                f"{self.url}: export of project {project_id} is not JSON"
            ) from err
        return data


def _detail(err: ApiError) -> str:
    body = err.body
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("validation_errors") or body)[:300]
    return str(body)[:300]

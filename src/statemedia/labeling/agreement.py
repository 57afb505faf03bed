"""Inter-annotator agreement on tidy annotation rows (pure): Krippendorff's alpha, nominal.

Fields: the primary topic; for each stance target whether it is addressed (yes/no); and for each
target the stance among annotators who ticked it. Each alpha comes with an item-level bootstrap 95%
CI (fixed seed), the number of pairable items (>= 2 values) and of annotators contributing to them.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from statemedia.labeling.records import NO, YES, Annotation, FieldKind, Origin, field_id
from statemedia.labeling.scheme import Scheme

if TYPE_CHECKING:  # numpy and krippendorff are imported where used: the CLI starts without them
    import numpy as np

DEFAULT_BOOTSTRAP = 1000
DEFAULT_SEED = 20240601
METHOD = "krippendorff-alpha-nominal; CI: percentile bootstrap over items"


@dataclass(frozen=True, slots=True)
class FieldAgreement:
    """Agreement on one field."""

    field: str
    alpha: float | None  # None when undefined (fewer than 2 pairable items or one value only)
    ci_low: float | None
    ci_high: float | None
    n_items: int  # items with at least two values for this field
    n_annotators: int
    n_values: int  # pairable values (sum over items of annotators coding the field)
    note: str = ""


# field id -> post_id -> annotator -> value
FieldValues = dict[str, dict[str, dict[str, str]]]


def field_values(rows: Sequence[Annotation], scheme: Scheme) -> FieldValues:
    """field → post_id → annotator → value, for every agreement field (missing = not coded)."""
    primary = field_id(FieldKind.TOPIC_PRIMARY)
    fields: FieldValues = {primary: {}}
    for target in scheme.target_names:
        fields[field_id(FieldKind.ADDRESSED, target)] = {}
        fields[field_id(FieldKind.STANCE, target)] = {}
    for row in rows:
        if row.origin is not Origin.HUMAN:
            continue  # machine predictions never count as a coder
        labels = row.labels
        if labels.topic_primary is not None:
            fields[primary].setdefault(row.post_id, {})[row.annotator] = labels.topic_primary
        for target in scheme.target_names:
            addressed = target in labels.targets
            fields[field_id(FieldKind.ADDRESSED, target)].setdefault(row.post_id, {})[
                row.annotator
            ] = YES if addressed else NO
        for stance in labels.addressed(scheme):
            fields[field_id(FieldKind.STANCE, stance.target)].setdefault(row.post_id, {})[
                row.annotator
            ] = stance.stance
    return fields


def value_counts(units: Mapping[str, Mapping[str, str]]) -> tuple[np.ndarray, list[str], int]:
    """Pairable units as a units × values count matrix, the value domain, the annotator count."""
    import numpy as np

    pairable = {u: coders for u, coders in sorted(units.items()) if len(coders) >= 2}
    domain = sorted({str(v) for coders in pairable.values() for v in coders.values()})
    index = {v: i for i, v in enumerate(domain)}
    matrix = np.zeros((len(pairable), len(domain)), dtype=float)
    for row, coders in enumerate(pairable.values()):
        for value in coders.values():
            matrix[row, index[str(value)]] += 1
    annotators = {who for coders in pairable.values() for who in coders}
    return matrix, domain, len(annotators)


def alpha_nominal(matrix: np.ndarray) -> float | None:
    """Krippendorff's alpha (nominal) from a units × values count matrix; None when undefined."""
    if matrix.shape[0] < 1 or (matrix.sum(axis=0) > 0).sum() < 2:
        return None  # one value only: expected disagreement is zero and alpha is 0/0
    import krippendorff

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        value = krippendorff.alpha(value_counts=matrix, level_of_measurement="nominal")
    return None if math.isnan(value) else float(value)


def bootstrap_ci(
    matrix: np.ndarray, n_boot: int = DEFAULT_BOOTSTRAP, seed: int = DEFAULT_SEED
) -> tuple[float | None, float | None]:
    """Percentile 95% CI of alpha over item resamples; resamples with one value only are skipped."""
    n_units = matrix.shape[0]
    if n_units < 2 or n_boot <= 0:
        return None, None
    import numpy as np

    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(n_boot):
        value = alpha_nominal(matrix[rng.integers(0, n_units, n_units)])
        if value is not None:
            draws.append(value)
    if len(draws) < max(10, n_boot // 10):
        return None, None  # too few defined resamples for a meaningful interval
    low, high = np.percentile(draws, [2.5, 97.5])
    return float(low), float(high)


def compute_agreement(
    rows: Sequence[Annotation],
    scheme: Scheme,
    n_boot: int = DEFAULT_BOOTSTRAP,
    seed: int = DEFAULT_SEED,
) -> list[FieldAgreement]:
    """Alpha with CI for every field, in a fixed order (primary topic, then per target)."""
    results = []
    for name, units in field_values(rows, scheme).items():
        matrix, _, n_annotators = value_counts(units)
        alpha = alpha_nominal(matrix)
        low, high = bootstrap_ci(matrix, n_boot, seed) if alpha is not None else (None, None)
        note = ""
        if matrix.shape[0] == 0:
            note = "no item coded by two annotators"
        elif alpha is None:
            note = "one value only: alpha undefined"
        results.append(
            FieldAgreement(
                field=name,
                alpha=alpha,
                ci_low=low,
                ci_high=high,
                n_items=int(matrix.shape[0]),
                n_annotators=n_annotators,
                n_values=int(matrix.sum()),
                note=note,
            )
        )
    return results


def agreement_report(
    results: Sequence[FieldAgreement], scheme: Scheme, n_boot: int, seed: int
) -> dict[str, Any]:
    """The JSON document for the data card."""
    return {
        "method": METHOD,
        "bootstrap_resamples": n_boot,
        "seed": seed,
        "scheme_version": scheme.version,
        "fields": [asdict(r) for r in results],
    }


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def agreement_markdown(results: Sequence[FieldAgreement], n_boot: int, seed: int) -> str:
    """A Markdown table of the results, for the data card."""
    lines = [
        f"Krippendorff's alpha (nominal); 95% CI from {n_boot} bootstrap resamples of items "
        f"(seed {seed}). Items = posts coded by at least two annotators.",
        "",
        "| Field | Alpha | 95% CI | Items | Annotators | Values | Note |",
        "| --- | ---: | --- | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        ci = "n/a" if r.ci_low is None else f"[{_fmt(r.ci_low)}, {_fmt(r.ci_high)}]"
        lines.append(
            f"| {r.field} | {_fmt(r.alpha)} | {ci} | {r.n_items} | {r.n_annotators} | "
            f"{r.n_values} | {r.note} |"
        )
    return "\n".join(lines) + "\n"

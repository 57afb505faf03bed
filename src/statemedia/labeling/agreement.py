"""Inter-annotator agreement on tidy annotation rows (pure): Krippendorff's alpha, nominal.

Fields: the primary topic; for each stance target whether it is addressed (yes/no); and for each
target the stance among annotators who ticked it. Each alpha comes with an item-level bootstrap 95%
CI (fixed seed), the number of pairable items (>= 2 values) and of annotators contributing to them,
and the observed proportion of agreement: in each item, the share of coder pairs giving the same
value, averaged over items (with two coders per item, the share of items coded alike).

With fewer pairable items than `[labeling] agreement_min_items` (statemedia.toml) the table shows
"too few items (n < N)" instead of alpha, and agreement.json sets `too_few_items`. Alpha from a
single item is undefined (None), never 0.
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
OBSERVED_METHOD = "mean over items of the share of coder pairs giving the same value"
TABLE_HEADER = (
    "| Field | Alpha | 95% CI | Observed agreement | Items | Annotators | Values | Note |"
)


@dataclass(frozen=True, slots=True)
class FieldAgreement:
    """Agreement on one field."""

    field: str
    alpha: float | None  # None when undefined (fewer than 2 pairable items or one value only)
    ci_low: float | None
    ci_high: float | None
    observed_agreement: float | None  # OBSERVED_METHOD; None without pairable items
    n_items: int  # items with at least two values for this field
    n_annotators: int
    n_values: int  # pairable values (sum over items of annotators coding the field)
    too_few_items: bool  # n_items < the configured minimum: alpha is not reported as a number
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


def observed_agreement(matrix: np.ndarray) -> float | None:
    """Mean over units of the share of value pairs that agree; None without units."""
    if matrix.shape[0] < 1:
        return None
    coders = matrix.sum(axis=1)
    agreeing = (matrix * (matrix - 1)).sum(axis=1)  # ordered pairs with the same value
    return float((agreeing / (coders * (coders - 1))).mean())


def alpha_nominal(matrix: np.ndarray) -> float | None:
    """Krippendorff's alpha (nominal) from a units × values count matrix; None when undefined."""
    if matrix.shape[0] < 2:
        return None  # one item: alpha is 0 or 0/0 whatever the coders did, so it says nothing
    if (matrix.sum(axis=0) > 0).sum() < 2:
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
    *,
    min_items: int,
    n_boot: int = DEFAULT_BOOTSTRAP,
    seed: int = DEFAULT_SEED,
) -> list[FieldAgreement]:
    """Alpha with CI and observed agreement for every field, in a fixed order (primary topic,
    then per target); `min_items` is `[labeling] agreement_min_items`."""
    results = []
    for name, units in field_values(rows, scheme).items():
        matrix, _, n_annotators = value_counts(units)
        n_items = int(matrix.shape[0])
        alpha = alpha_nominal(matrix)
        low, high = bootstrap_ci(matrix, n_boot, seed) if alpha is not None else (None, None)
        note = ""
        if n_items == 0:
            note = "no item coded by two annotators"
        elif n_items == 1:
            note = "one item only: alpha undefined"
        elif alpha is None:
            note = "one value only: alpha undefined"
        results.append(
            FieldAgreement(
                field=name,
                alpha=alpha,
                ci_low=low,
                ci_high=high,
                observed_agreement=observed_agreement(matrix),
                n_items=n_items,
                n_annotators=n_annotators,
                n_values=int(matrix.sum()),
                too_few_items=n_items < min_items,
                note=note,
            )
        )
    return results


def agreement_report(
    results: Sequence[FieldAgreement],
    scheme: Scheme,
    n_boot: int,
    seed: int,
    min_items: int,
    annotations_sha256: str,
) -> dict[str, Any]:
    """The JSON document for the data card; `annotations_sha256` names the rows it was computed
    from (`annotate publish` refuses an agreement.json of other rows)."""
    return {
        "method": METHOD,
        "observed_agreement_method": OBSERVED_METHOD,
        "bootstrap_resamples": n_boot,
        "seed": seed,
        "min_items": min_items,
        "scheme_version": scheme.version,
        "annotations_sha256": annotations_sha256,
        "fields": [asdict(r) for r in results],
    }


def too_few_marker(min_items: int) -> str:
    """What the table shows instead of alpha for a field with fewer than `min_items` items."""
    return f"too few items (n < {min_items})"


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def agreement_markdown(
    results: Sequence[FieldAgreement], n_boot: int, seed: int, min_items: int
) -> str:
    """A Markdown table of the results, for the data card."""
    lines = [
        f"Krippendorff's alpha (nominal); 95% CI from {n_boot} bootstrap resamples of items "
        f"(seed {seed}). Items = posts coded by at least two annotators. Observed agreement = "
        "share of coder pairs giving the same value, averaged over items. With fewer than "
        f'{min_items} items, alpha is shown as "{too_few_marker(min_items)}": it is not '
        "a reliability estimate.",
        "",
        TABLE_HEADER,
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        if r.too_few_items and r.n_items > 0:
            alpha, ci = too_few_marker(min_items), "n/a"
        else:
            alpha = _fmt(r.alpha)
            ci = "n/a" if r.ci_low is None else f"[{_fmt(r.ci_low)}, {_fmt(r.ci_high)}]"
        lines.append(
            f"| {r.field} | {alpha} | {ci} | {_fmt(r.observed_agreement)} | {r.n_items} | "
            f"{r.n_annotators} | {r.n_values} | {r.note} |"
        )
    return "\n".join(lines) + "\n"

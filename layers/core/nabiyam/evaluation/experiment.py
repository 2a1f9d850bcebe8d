"""The live experiment as a promotion gate: the logged turns of an A/B period, split by the
variant every turn carries.

- **Sample-ratio check (SRM)**: users per arm against the configured treatment share, a
  chi-square test with one degree of freedom; p < ``SRM_ALPHA`` means the assignment or the
  logging is broken and the experiment's numbers cannot be trusted → the gate fails.
- **Outcome**: conversion (orders per answered turn) per arm with a user-cluster bootstrap
  (the unit of assignment is the user); the gate fails when the treatment is worse beyond the
  noise.
- Each arm must have been served by one ranker version (the versions logged on the turns).

The daily metrics job computes the same analysis per day for the dashboard; this module is
the gate's own reading of the lake, so a promotion never depends on a report being fresh.

Example::

    analysis = analyse(read_range("conversations", a, b), read_range("feedback", a, b), share=0.5)
    gate = experiment_gate(analysis)
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from nabiyam.evaluation.report import Gate, Interval
from nabiyam.storage.conversations import ConversationRecord
from nabiyam.storage.feedback import FeedbackRecord

SRM_ALPHA = 0.001
ARMS = ("control", "treatment")


@dataclass
class ExperimentAnalysis:
    users: dict[str, int]
    turns: dict[str, int]
    conversion: dict[str, float]
    lift: Interval
    srm_p_value: float
    share: float
    versions: dict[str, list[str]]


def _chi2_sf_1df(x: float) -> float:
    """P(χ²₁ > x) = erfc(√(x/2))."""
    return math.erfc(math.sqrt(max(x, 0.0) / 2.0))


def analyse(conversations: Iterable[ConversationRecord], feedback: Iterable[FeedbackRecord], *, share: float,
            resamples: int = 1000, seed: int = 0) -> ExperimentAnalysis:
    ordered = {f.conversation_id for f in feedback if f.feedback_type == "ordered"}
    rows = [(c.user_id, c.variant, c.conversation_id in ordered, (c.model_versions or {}).get("ranker"))
            for c in conversations if c.shown and c.variant in ARMS]
    if not rows:
        raise ValueError("no answered turns with a variant in the experiment period")
    users = sorted({u for u, *_ in rows})
    index = {u: i for i, u in enumerate(users)}
    o = {a: np.zeros(len(users)) for a in ARMS}
    n = {a: np.zeros(len(users)) for a in ARMS}
    for u, v, y, _ in rows:
        o[v][index[u]] += y
        n[v][index[u]] += 1
    users_per_arm = {a: int((n[a] > 0).sum()) for a in ARMS}
    total = sum(users_per_arm.values())
    expected = {"control": total * (1 - share), "treatment": total * share}
    chi2 = sum((users_per_arm[a] - expected[a]) ** 2 / expected[a] for a in ARMS if expected[a] > 0)
    rng = np.random.default_rng(seed)
    W = rng.multinomial(len(users), np.full(len(users), 1 / len(users)), size=resamples).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        draws = (W @ o["treatment"]) / (W @ n["treatment"]) - (W @ o["control"]) / (W @ n["control"])
    conv = {a: float(o[a].sum() / n[a].sum()) if n[a].sum() else float("nan") for a in ARMS}
    draws = draws[np.isfinite(draws)]
    lift = Interval(estimate=round(conv["treatment"] - conv["control"], 5),
                    low=round(float(np.quantile(draws, 0.025)), 5) if len(draws) else float("nan"),
                    high=round(float(np.quantile(draws, 0.975)), 5) if len(draws) else float("nan"))
    return ExperimentAnalysis(users=users_per_arm, turns={a: int(n[a].sum()) for a in ARMS}, conversion=conv,
                              lift=lift, srm_p_value=_chi2_sf_1df(chi2), share=share,
                              versions={a: sorted({str(v) for _, arm, _, v in rows if arm == a}) for a in ARMS})


def experiment_gate(a: ExperimentAnalysis, candidate_version: str | None = None) -> Gate:
    problems = []
    if a.srm_p_value < SRM_ALPHA:
        problems.append(f"sample-ratio mismatch (users {a.users}, share {a.share}, p = {a.srm_p_value:.2g})")
    if a.lift.high < 0:
        problems.append("the treatment converts worse beyond the noise")
    if candidate_version is not None and a.versions.get("treatment") != [candidate_version]:
        problems.append(f"the treatment arm served {a.versions.get('treatment')}, not the candidate {candidate_version}")
    detail = (f"users {a.users['control']}/{a.users['treatment']} (SRM p = {a.srm_p_value:.3g}); conversion "
              f"{a.conversion['control']:.4f} → {a.conversion['treatment']:.4f}, lift {a.lift.estimate:+.4f} "
              f"[{a.lift.low:+.4f}, {a.lift.high:+.4f}]")
    return Gate(name="experiment", passed=not problems, detail=("; ".join(problems) + " — " if problems else "") + detail)


def promote_after_experiment(model_name: str, start: str, end: str, *, share: float, actor: str,
                             settings: object | None = None) -> tuple[Gate, str]:
    """Read the experiment period from the lake, gate the ``candidate`` on it, then promote it
    (gate passed) or reject it (failed) — the reason is the gate's detail, in the audit trail.
    Returns the gate and the decision."""
    from nabiyam.lake import read_range
    from nabiyam.registry import Registry, RegistryError

    reg = Registry(settings)  # type: ignore[arg-type]
    candidate = reg.alias(model_name, "candidate")
    if candidate is None:
        raise RegistryError(f"{model_name} has no candidate to decide on")
    analysis = analyse(read_range("conversations", start, end, settings),  # type: ignore[arg-type]
                       read_range("feedback", start, end, settings), share=share)  # type: ignore[arg-type]
    gate = experiment_gate(analysis, candidate)
    reason = f"experiment {start}..{end}: {gate.detail}"
    if gate.passed:
        reg.promote(model_name, candidate, actor=actor, reason=reason, details={"gate": gate.model_dump()})
        return gate, "promote"
    reg.reject(model_name, candidate, actor=actor, reason=reason, details={"gate": gate.model_dump()})
    return gate, "reject"

"""Champion/challenger: both rankers re-rank the SAME held-out logged turns; metrics with
paired session-bootstrap intervals; hard gates; the oracle replay; the decision.

**The logging policy's bias.** The log holds only what production chose to show (5 of up
to 60 Layer-1 candidates), and the outcome of a shop never shown is unknown. Treating unshown
candidates as "not chosen" would hand production a HitRate@5 of 1 on every turn with a choice
(its own top 5 *is* the shown set) and no challenger could ever win. So the decision metrics
are computed **on the shown sets only**: within each logged shown set every shop has an
observed outcome, and both models re-order the same shops — AUC (chosen vs. shown-not-chosen,
per turn) and NDCG@5 (where the model puts the chosen shop within the shown set). What remains
is a selection bias toward the situations production handles (the evaluation distribution is
production's shown sets), which makes the comparison conservative for a challenger that
would show different shops. Logged propensities would allow inverse-propensity weighting,
but production's policy is deterministic (every propensity is 0 or 1), so IPS has no support
outside the shown set; we do not pretend otherwise. HitRate@5 (is the chosen shop in the
model's own top 5 of all Layer-1 candidates) is reported but marked biased toward
production and does not decide. Coverage and diversity need no labels and use each model's
own top 5. The unbiased check is the **oracle replay**: each model answers fresh held-out
simulated requests and the world's oracle gives the true probability that the person
chooses one of its top 5 — the logged-data decision must agree with it (tested).

Example::

    report = compare(production, candidate, turns, catalogue, gates=[...], oracle=replay)
    report.decision, report.reasons
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import numpy as np

from nabiyam.domain.nlu import Filters
from nabiyam.domain.recommendation import RequestContext
from nabiyam.evaluation.logged import LoggedTurn
from nabiyam.evaluation.report import (ComparisonReport, Gate, HeldOut, Interval, MetricComparison, OracleReplay,
                                       Verdict)

K = 5
PRIMARY_METRIC = "ndcg@5"
#: metrics where lower is not better is never the case here: all five are "higher is better"
DECISION_METRICS = ("auc", "ndcg@5")
INFORMATIONAL = {"hitrate@5": "biased toward production (its own top 5 is the logged shown set)"}
LATENCY_BUDGET_MS = 300.0  # p95 of one recommendation (Layer 1 + ranker) inside /chat's 1 s budget
BIAS_HANDLING = (__doc__ or "").split("**The logging policy's bias.**", 1)[1].split("Example::", 1)[0].strip()


class Ranker(Protocol):
    """What the evaluation needs from a recommender (``nabiyam.recsys.Recommender``)."""

    catalogue: Any
    artifacts: Any

    def resolve(self, user_id: str, filters: Filters, context: RequestContext, semantic_query: str = "",
                open_only: bool = True) -> tuple[Any, Any]: ...

    def layer1(self, req: Any, profile: Any) -> tuple[Any, dict[str, np.ndarray]]: ...

    def features(self, req: Any, profile: Any, layer1: Any, positions: np.ndarray) -> Any: ...

    def recommend(self, user_id: str, filters: Filters, context: RequestContext, semantic_query: str = "",
                  k: int = 5) -> Any: ...


@dataclass
class ModelUnderTest:
    label: str
    version: str | None
    recommender: Ranker


@dataclass
class TurnScores:
    """Per held-out turn, for one model."""

    auc: np.ndarray
    ndcg: np.ndarray
    hit: np.ndarray
    diversity: np.ndarray
    top: list[list[str]]
    violations: int
    latency_ms: np.ndarray


@dataclass
class BootstrapSpec:
    resamples: int = 300
    confidence: float = 0.95
    seed: int = 0


def _shown_scores(rec: Ranker, t: LoggedTurn) -> tuple[np.ndarray, list[str]]:
    from nabiyam.recsys.funnels import fallback_scores

    cat = rec.catalogue
    shown = [s for s in t.shown if s in cat.position]
    req, profile = rec.resolve(t.user_id, t.filters, t.context, t.semantic_query)
    layer1, _ = rec.layer1(req, profile)
    positions = np.array([cat.position[s] for s in shown], dtype=np.int64)
    if rec.artifacts is not None:
        batch = rec.features(req, profile, layer1, positions)
        return np.asarray(rec.artifacts.ranker.score(batch), dtype=np.float64), shown
    return np.asarray(fallback_scores(layer1, positions), dtype=np.float64), shown


def _diversity(categories: list[str]) -> float:
    n = len(categories)
    if n < 2:
        return float("nan")
    same = sum(categories[i] == categories[j] for i in range(n) for j in range(i + 1, n))
    return 1.0 - same / (n * (n - 1) / 2)


def score_turns(rec: Ranker, turns: Sequence[LoggedTurn]) -> TurnScores:
    """Re-rank every held-out turn: the shown set (decision metrics) and the model's own top 5."""
    from nabiyam.safety.hard_filters import AnswerRequest, shop_violations

    n = len(turns)
    auc, ndcg, hit, div, lat = (np.full(n, np.nan) for _ in range(5))
    top: list[list[str]] = []
    violations = 0
    cat = rec.catalogue
    for i, t in enumerate(turns):
        scores, shown = _shown_scores(rec, t)
        if t.chosen is not None and t.chosen in shown and len(shown) >= 2:
            j = shown.index(t.chosen)
            others = np.delete(scores, j)
            auc[i] = float(np.mean((others < scores[j]) + 0.5 * (others == scores[j])))
            rank = int(np.sum(scores > scores[j]) + 0.5 * np.sum(others == scores[j]))
            ndcg[i] = 1.0 / np.log2(rank + 2) if rank < K else 0.0
        started = time.perf_counter()
        result = rec.recommend(t.user_id, t.filters, t.context, semantic_query=t.semantic_query, k=K)
        lat[i] = (time.perf_counter() - started) * 1000
        items = list(result.items)[:K]
        lat_o, lon_o = getattr(result, "origin_lat", None), getattr(result, "origin_lon", None)
        check = AnswerRequest(t.filters, t.context, t.at, (lat_o, lon_o) if lat_o is not None and lon_o is not None
                              else None)
        violations += sum(bool(shop_violations(item, check, cat)) for item in items)
        ids = [item.shop_id for item in items]
        top.append(ids)
        if t.chosen is not None:
            hit[i] = 1.0 if t.chosen in ids else 0.0
        div[i] = _diversity([cat.shops[cat.position[s]].category for s in ids if s in cat.position])
    return TurnScores(auc, ndcg, hit, div, top, violations, lat)


# ------------------------------------------------------------------ bootstrap
def _weights(n_clusters: int, spec: BootstrapSpec) -> np.ndarray:
    rng = np.random.default_rng(spec.seed)
    return rng.multinomial(n_clusters, np.full(n_clusters, 1.0 / n_clusters), size=spec.resamples).astype(np.float64)


def _interval(point: float, draws: np.ndarray, spec: BootstrapSpec) -> Interval:
    alpha = (1 - spec.confidence) / 2
    draws = draws[np.isfinite(draws)]
    if not len(draws) or not np.isfinite(point):
        return Interval(estimate=float("nan") if not np.isfinite(point) else round(point, 5), low=float("nan"),
                        high=float("nan"))
    lo, hi = np.quantile(draws, [alpha, 1 - alpha])
    return Interval(estimate=round(float(point), 5), low=round(float(lo), 5), high=round(float(hi), 5))


def _verdict(diff: Interval) -> Verdict:
    if np.isfinite(diff.low) and diff.low > 0:
        return "candidate"
    if np.isfinite(diff.high) and diff.high < 0:
        return "production"
    return "tie"


def paired_mean(a: np.ndarray, b: np.ndarray, cluster: np.ndarray, W: np.ndarray,
                spec: BootstrapSpec) -> tuple[Interval, Interval, Interval]:
    """Means of per-turn values (NaN = not applicable) for production ``a`` and candidate ``b``
    with a paired cluster bootstrap: the same resampled sessions for both, the difference b − a."""
    ok = np.isfinite(a) & np.isfinite(b)
    n_c = W.shape[1]
    counts = np.bincount(cluster[ok], minlength=n_c).astype(np.float64)
    sa = np.bincount(cluster[ok], weights=a[ok], minlength=n_c)
    sb = np.bincount(cluster[ok], weights=b[ok], minlength=n_c)
    with np.errstate(invalid="ignore", divide="ignore"):
        n_w = W @ counts
        da, db = (W @ sa) / n_w, (W @ sb) / n_w
        pa = sa.sum() / counts.sum() if counts.sum() else float("nan")
        pb = sb.sum() / counts.sum() if counts.sum() else float("nan")
    return _interval(pa, da, spec), _interval(pb, db, spec), _interval(pb - pa, db - da, spec)


def paired_coverage(top_a: list[list[str]], top_b: list[list[str]], cluster: np.ndarray, n_shops: int,
                    W: np.ndarray, spec: BootstrapSpec) -> tuple[Interval, Interval, Interval]:
    """Share of the catalogue in any top 5, with the same session bootstrap."""
    ids = sorted({s for top in (*top_a, *top_b) for s in top})
    col = {s: j for j, s in enumerate(ids)}
    n_c = W.shape[1]
    out = []
    for tops in (top_a, top_b):
        m = np.zeros((n_c, max(len(ids), 1)))
        for c, top in zip(cluster.tolist(), tops, strict=True):
            for s in top:
                m[c, col[s]] = 1.0
        point = float((m.sum(0) > 0).sum()) / n_shops
        out.append((point, ((W @ m) > 0).sum(1) / n_shops))
    (pa, da), (pb, db) = out
    return _interval(pa, da, spec), _interval(pb, db, spec), _interval(pb - pa, db - da, spec)


# ------------------------------------------------------------------ oracle replay
class SimulatedRequest(Protocol):
    """A held-out simulated request with the hidden truth (``nabiyam.simulate.world.PlannedSession``)."""

    user_id: str
    text: str
    at: datetime
    lat: float
    lon: float
    district: str
    budget: int

    def oracle_context(self) -> dict[str, object]: ...


class TrueChoice(Protocol):
    def choice_probabilities(self, user_id: str, shop_ids: Sequence[str], at: datetime | str, lat: float,
                             lon: float, budget: int, companion: str | None = "alone", **kw: object) -> np.ndarray: ...


def oracle_replay(production: Ranker, candidate: Ranker, requests: Sequence[SimulatedRequest], oracle: TrueChoice,
                  parse: Callable[[str], Any], spec: BootstrapSpec) -> OracleReplay:
    """True P(the person chooses one of the model's top 5) per request, for both models."""
    rates = np.full((2, len(requests)), np.nan)
    for i, r in enumerate(requests):
        nlu = parse(r.text)
        context = RequestContext(lat=r.lat, lon=r.lon, district=r.district, at=r.at,
                                 budget=min(max(int(r.budget), 1000), 100_000))
        for m, rec in enumerate((production, candidate)):
            items = rec.recommend(r.user_id, nlu.filters, context, semantic_query=nlu.semantic_query, k=K).items
            ids = [item.shop_id for item in items][:K]
            rates[m, i] = float(np.sum(oracle.choice_probabilities(r.user_id, ids, **r.oracle_context()))) if ids else 0.0
    cluster = np.arange(len(requests))
    W = _weights(len(requests), spec)
    a, b, d = paired_mean(rates[0], rates[1], cluster, W, spec)
    return OracleReplay(requests=len(requests), production=a, candidate=b, difference=d, verdict=_verdict(d))


# ------------------------------------------------------------------ the comparison
@dataclass
class Evidence:
    """Gates computed outside the logged-data comparison (training, NLU, experiment)."""

    gates: list[Gate] = field(default_factory=list)


def compare(production: ModelUnderTest, candidate: ModelUnderTest, turns: Sequence[LoggedTurn], *,
            model_name: str = "ranker", evidence: Evidence | None = None, oracle: OracleReplay | None = None,
            spec: BootstrapSpec | None = None, latency_budget_ms: float = LATENCY_BUDGET_MS) -> ComparisonReport:
    """The report and its decision: promote only when the primary metric is better beyond the
    noise, no decision metric is worse beyond the noise, and every gate passes."""
    spec = spec or BootstrapSpec()
    if not turns:
        raise ValueError("no held-out logged recommendation turns to evaluate on")
    clusters = {s: i for i, s in enumerate(sorted({t.session for t in turns}))}
    cluster = np.array([clusters[t.session] for t in turns])
    W = _weights(len(clusters), spec)
    sp, sc = score_turns(production.recommender, turns), score_turns(candidate.recommender, turns)
    n_shops = len(candidate.recommender.catalogue)
    metrics: list[MetricComparison] = []
    for name, a, b in (("auc", sp.auc, sc.auc), ("ndcg@5", sp.ndcg, sc.ndcg), ("hitrate@5", sp.hit, sc.hit),
                       ("diversity", sp.diversity, sc.diversity)):
        ia, ib, d = paired_mean(a, b, cluster, W, spec)
        metrics.append(MetricComparison(name=name, production=ia, candidate=ib, difference=d, verdict=_verdict(d)))
    ia, ib, d = paired_coverage(sp.top, sc.top, cluster, n_shops, W, spec)
    metrics.append(MetricComparison(name="coverage", production=ia, candidate=ib, difference=d, verdict=_verdict(d)))

    p95 = float(np.percentile(sc.latency_ms, 95))
    gates = [
        Gate(name="hard_filters", passed=sc.violations == 0,
             detail=f"{sc.violations} hard-filter violations in the candidate's top {K} of {len(turns)} requests"),
        Gate(name="latency", passed=p95 <= latency_budget_ms,
             detail=f"candidate recommendation p95 {p95:.1f} ms (budget {latency_budget_ms:.0f} ms; "
                    f"production {float(np.percentile(sp.latency_ms, 95)):.1f} ms)"),
        *(evidence.gates if evidence else []),
    ]
    by_name = {m.name: m for m in metrics}
    primary = by_name[PRIMARY_METRIC]
    reasons: list[str] = []

    def fmt(m: MetricComparison) -> str:
        d = m.difference
        return f"{m.name} {d.estimate:+.4f} [{d.low:+.4f}, {d.high:+.4f}]"

    better = primary.verdict == "candidate"
    reasons.append(f"{fmt(primary)}: " + ("better beyond the noise" if better else
                                          "worse beyond the noise" if primary.verdict == "production"
                                          else "not better beyond the noise"))
    worse = [m for m in metrics if m.name in DECISION_METRICS and m.verdict == "production" and m is not primary]
    reasons += [f"{fmt(m)}: worse beyond the noise" for m in worse]
    failed = [g for g in gates if not g.passed]
    reasons += [f"gate {g.name} failed: {g.detail}" for g in failed]
    if not failed:
        reasons.append(f"all {len(gates)} gates passed")
    decision = "promote" if better and not worse and not failed else "reject"
    report = ComparisonReport(
        report_id=f"{model_name}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}-{uuid.uuid4().hex[:8]}",
        created_at=datetime.now(UTC), model_name=model_name, production_version=production.version,
        candidate_version=candidate.version or "unregistered",
        held_out=HeldOut(start=min(t.day for t in turns).isoformat(), end=max(t.day for t in turns).isoformat(),
                         turns=len(turns), sessions=len(clusters), with_choice=sum(t.chosen is not None for t in turns)),
        primary_metric=PRIMARY_METRIC, metrics=metrics, gates=gates, oracle=oracle, decision=decision,
        reasons=reasons,
        agrees_with_oracle=None if oracle is None else (decision == "promote") == (oracle.verdict == "candidate"),
        bias_handling=BIAS_HANDLING,
        bootstrap={"resamples": spec.resamples, "confidence": spec.confidence, "unit": "session", "seed": spec.seed,
                   "informational": "; ".join(f"{k}: {v}" for k, v in INFORMATIONAL.items())},
    )
    return report

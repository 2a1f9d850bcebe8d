"""What a serving process loads once: NLU, ranker and catalogue (Lambda: at module scope,
once per container, never per request and not in an ASGI lifespan, which Mangum would
re-run on every cold path).

Sources, in order: the model registry's production version in S3 (cached under
`Settings.model_cache_dir`, i.e. /tmp in Lambda; a corrupt or missing version falls back
to the last good one inside `registry.fetch`), then the local artifacts directory, then
nothing — the NLU answers with rules and the recommender with its funnel blend, logged
loudly. The catalogue comes from `catalogue/current.json.gz` in the artifacts bucket,
then a local snapshot or world directory; without it, food answers are a 503 with the reason.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nabiyam.observability import get_logger
from nabiyam.settings import Settings, get_settings

logger = get_logger("runtime")
CATALOGUE_KEY = "catalogue/current.json.gz"


class _Discover:
    """Sentinel: find the model (registry, then local artifacts) instead of being told where it is."""

    def __repr__(self) -> str:
        return "DISCOVER"


DISCOVER: Any = _Discover()


@dataclass
class Runtime:
    settings: Settings
    nlu: Any | None = None
    recommender: Any | None = None
    treatment: Any | None = None
    catalogue: Any | None = None
    versions: dict[str, str | None] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)
    load_ms: float = 0.0

    def reason(self, part: str) -> str:
        return self.problems.get(part, "not loaded")


def _remote_allowed(settings: Settings) -> bool:
    """Talk to S3 only where there is an AWS to talk to: in Lambda, or with a local stack up."""
    from nabiyam import aws

    return bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME") or aws.local_endpoint(settings))


def _fetch_model(name: str, settings: Settings, local_dir: Path | None | _Discover, rt: Runtime) -> Path | None:
    """Directory of the model to serve, or None (the service then uses its fallback)."""
    if local_dir is None:
        rt.sources[name] = "none (explicit)"
        return None
    if not isinstance(local_dir, _Discover):
        rt.sources[name] = f"explicit:{local_dir}"
        return Path(local_dir)
    if _remote_allowed(settings):
        try:
            from nabiyam import registry

            path = Path(registry.fetch(name, settings.model_cache_dir, settings))
            rt.sources[name] = f"registry:{path}"
            return path
        except Exception as exc:  # noqa: BLE001 - missing registry/model/network: fall back, loudly
            logger.warning("model registry unavailable; trying local artifacts",
                           extra={"model": name, "error": f"{type(exc).__name__}: {exc}"})
            rt.problems[f"{name}_registry"] = f"{type(exc).__name__}: {exc}"
    local = settings.artifacts_dir / name
    if (local / "model.onnx").exists():
        rt.sources[name] = f"local:{local}"
        return local
    rt.sources[name] = "none"
    return None


def _load_catalogue(settings: Settings, explicit: Path | None, rt: Runtime) -> Any | None:
    try:
        from nabiyam.recsys.catalogue import CatalogueIndex
    except ImportError as exc:
        rt.problems["catalogue"] = f"recommender package missing: {exc}"
        return None
    candidates: list[tuple[str, Path]] = []
    if explicit is not None:
        candidates.append(("explicit", explicit))
    if explicit is None and _remote_allowed(settings):
        cached = settings.model_cache_dir / "catalogue" / "current.json.gz"
        try:
            from nabiyam import aws

            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_suffix(".part")
            aws.client("s3", settings).download_file(settings.artifacts_bucket, CATALOGUE_KEY, str(tmp))
            tmp.replace(cached)
        except Exception as exc:  # noqa: BLE001
            logger.warning("catalogue snapshot download failed", extra={"error": f"{type(exc).__name__}: {exc}"})
            rt.problems["catalogue_s3"] = f"s3://{settings.artifacts_bucket}/{CATALOGUE_KEY}: {type(exc).__name__}"
        if cached.exists():
            candidates.append(("s3", cached))
    local = settings.artifacts_dir / "catalogue" / "current.json.gz"
    if local.exists():
        candidates.append(("local", local))
    for source, path in candidates:
        try:
            cat = CatalogueIndex.from_world_dir(path) if path.is_dir() else CatalogueIndex.from_snapshot(path)
        except Exception as exc:  # noqa: BLE001 - a bad snapshot: try the next source
            logger.error("catalogue unusable", extra={"path": str(path), "error": f"{type(exc).__name__}: {exc}"})
            rt.problems["catalogue"] = f"{path}: {type(exc).__name__}: {exc}"
            continue
        rt.sources["catalogue"] = f"{source}:{path}"
        rt.problems.pop("catalogue", None)
        return cat
    rt.problems.setdefault("catalogue", "no catalogue snapshot found (run `nabiyam world load DIR`)")
    return None


def load_runtime(settings: Settings | None = None, *, catalogue: Path | Any | None = None,
                 nlu_dir: Path | None | _Discover = DISCOVER, ranker_dir: Path | None | _Discover = DISCOVER,
                 treatment_ranker_dir: Path | None = None) -> Runtime:
    """Load everything once. Never raises: what is missing is listed in `problems`.

    `nlu_dir`/`ranker_dir`: DISCOVER (registry, then local artifacts), a directory, or None
    (no model: rules / funnel blend). `catalogue`: a CatalogueIndex, a snapshot file or world
    directory, or None (S3 snapshot, then the local one).
    """
    settings = settings or get_settings()
    started = time.perf_counter()
    rt = Runtime(settings=settings)
    if catalogue is not None and not isinstance(catalogue, (str, Path)):
        rt.catalogue, rt.sources["catalogue"] = catalogue, "explicit:object"
    else:
        rt.catalogue = _load_catalogue(settings, Path(catalogue) if catalogue else None, rt)
    try:
        from nabiyam.nlu import NluService

        rt.nlu = NluService.load(_fetch_model("nlu", settings, nlu_dir, rt))
        rt.versions["nlu"] = rt.nlu.model_version
        if rt.nlu.model_version is None:
            rt.problems.setdefault("nlu", "no NLU model: rules only")
    except Exception as exc:  # noqa: BLE001 - NLU package absent or broken
        logger.error("NLU unavailable", extra={"error": f"{type(exc).__name__}: {exc}"})
        rt.problems["nlu"] = f"{type(exc).__name__}: {exc}"
    if rt.catalogue is not None:
        try:
            from nabiyam.recsys import Recommender

            rt.recommender = Recommender.load(_fetch_model("ranker", settings, ranker_dir, rt), rt.catalogue)
            rt.versions["ranker"] = rt.recommender.model_version
            reason = getattr(rt.recommender, "fallback_reason", None)
            if reason:
                rt.problems.setdefault("ranker", f"funnel-score blend fallback: {reason}")
            if treatment_ranker_dir is not None:
                rt.treatment = Recommender.load(treatment_ranker_dir, rt.catalogue)
                rt.versions["ranker_treatment"] = rt.treatment.model_version
        except Exception as exc:  # noqa: BLE001
            logger.error("recommender unavailable", extra={"error": f"{type(exc).__name__}: {exc}"})
            rt.problems["recommender"] = f"{type(exc).__name__}: {exc}"
    else:
        rt.problems["recommender"] = "no catalogue, so no recommender"
    rt.load_ms = (time.perf_counter() - started) * 1000
    logger.info("runtime loaded", extra={"versions": rt.versions, "sources": rt.sources,
                                         "problems": rt.problems, "load_ms": round(rt.load_ms, 1)})
    return rt


_RUNTIME: Runtime | None = None
_LOCK = threading.Lock()


def get_runtime() -> Runtime:
    """The process-wide runtime, loaded on first use (module scope in the Lambda handler)."""
    global _RUNTIME
    if _RUNTIME is None:
        with _LOCK:
            if _RUNTIME is None:
                _RUNTIME = load_runtime()
    return _RUNTIME


def set_runtime(runtime: Runtime | None) -> None:
    """Replace the process-wide runtime (tests, `nabiyam serve` with explicit paths)."""
    global _RUNTIME
    _RUNTIME = runtime

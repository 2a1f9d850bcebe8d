"""What a serving process loads once: NLU, ranker and catalogue (Lambda: at module scope,
once per container, never per request and not in an ASGI lifespan, which Mangum would
re-run on every cold path).

Sources, in order: the model registry's production version in S3 (cached under
`Settings.model_cache_dir`, i.e. /tmp in Lambda; a corrupt or missing version falls back
to the last good one inside `registry.fetch`), then the local artifacts directory, then
nothing — the NLU answers with rules and the recommender with its funnel blend, logged
loudly. The catalogue comes from `catalogue/current.json.gz` in the artifacts bucket,
then a local snapshot or world directory; without it, food answers are a 503 with the reason.

Models from the registry stay current without a restart: at most every
``Settings.model_refresh_seconds`` (a short TTL) a request reads the ``production`` alias of
each model (and ``candidate`` for the ranker while an experiment runs) — one GetItem each —
and when a target changed, fetches and loads the new version and swaps it in (the same
load as a cold start; a version that fails to load keeps the old one serving). A rollback
(`nabiyam models rollback ranker`) moves the alias back, so it takes effect the same way.
The ranker served is labelled with its registry version, which the conversation log records
on every turn (``model_versions``). With ``treatment_share > 0`` the ranker ``candidate``
is loaded as the treatment arm, so the experiment's treatment really serves it.
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


#: (runtime part, registry model, alias) kept current from the registry
_TRACKED = (("nlu", "nlu", "production"), ("recommender", "ranker", "production"), ("treatment", "ranker", "candidate"))


@dataclass
class Runtime:
    settings: Settings
    _nlu: Any | None = None
    _recommender: Any | None = None
    _treatment: Any | None = None
    catalogue: Any | None = None
    versions: dict[str, str | None] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)
    load_ms: float = 0.0
    #: part → registry version loaded, for the parts that follow a registry alias
    registry_targets: dict[str, str | None] = field(default_factory=dict)
    refreshes: int = 0
    _unusable: dict[str, str] = field(default_factory=dict, repr=False)
    _checked_at: float = field(default_factory=time.monotonic)
    _refresh_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def reason(self, part: str) -> str:
        return self.problems.get(part, "not loaded")

    # The parts a request uses; reading one may first pick up a new registry version (TTL).
    @property
    def nlu(self) -> Any | None:
        self.maybe_refresh()
        return self._nlu

    @nlu.setter
    def nlu(self, value: Any | None) -> None:
        self._nlu = value

    @property
    def recommender(self) -> Any | None:
        self.maybe_refresh()
        return self._recommender

    @recommender.setter
    def recommender(self, value: Any | None) -> None:
        self._recommender = value

    @property
    def treatment(self) -> Any | None:
        self.maybe_refresh()
        return self._treatment

    @treatment.setter
    def treatment(self, value: Any | None) -> None:
        self._treatment = value

    def maybe_refresh(self, *, force: bool = False) -> bool:
        """Follow the registry aliases: True when a part was swapped. Cheap when the TTL has not
        passed (one clock read); never raises (the registry being down keeps what serves)."""
        if not self.registry_targets:
            return False
        ttl = self.settings.model_refresh_seconds
        if not force and (ttl <= 0 or time.monotonic() - self._checked_at < ttl):
            return False
        if not self._refresh_lock.acquire(blocking=force):
            return False  # another request is refreshing; keep serving what is loaded
        try:
            self._checked_at = time.monotonic()
            return self._refresh()
        finally:
            self._refresh_lock.release()

    def _refresh(self) -> bool:
        from nabiyam.registry import Registry

        changed = False
        try:
            reg = Registry(self.settings)
            wanted = {part: reg.alias(model, alias) for part, model, alias in _TRACKED if part in self.registry_targets}
        except Exception as exc:  # noqa: BLE001 - registry unreachable: keep serving, say so
            self.problems["registry_refresh"] = f"{type(exc).__name__}: {exc}"
            logger.warning("registry alias check failed; serving the loaded models", extra={"error": str(exc)})
            return False
        self.problems.pop("registry_refresh", None)
        for part, model, alias in _TRACKED:
            if part not in wanted or wanted[part] == self.registry_targets.get(part):
                continue
            target = wanted[part]
            if target is not None and self._unusable.get(part) == target:
                continue  # already failed to load: do not fetch it again on every tick
            try:
                loaded = _load_part(self, part, model, target, reg) if target else None
            except Exception as exc:  # noqa: BLE001 - a bad new version: keep the old one serving
                self.problems[f"{part}_refresh"] = f"{model} {target}: {type(exc).__name__}: {exc}"
                self._unusable[part] = target
                logger.error("NEW MODEL VERSION UNUSABLE; keeping the loaded one",
                             extra={"model": model, "alias": alias, "version": target, "error": str(exc)})
                continue
            if part != "treatment" and loaded is None:
                continue  # production alias cleared: keep serving what we have
            setattr(self, f"_{part}", loaded)
            self.registry_targets[part] = target
            self.versions[_VERSION_KEY[part]] = target
            self.problems.pop(f"{part}_refresh", None)
            self.refreshes += 1
            changed = True
            logger.info("model version switched without restart", extra={"model": model, "alias": alias,
                                                                         "version": target})
        return changed


_VERSION_KEY = {"nlu": "nlu", "recommender": "ranker", "treatment": "ranker_treatment"}


def _load_part(rt: Runtime, part: str, model: str, version: str, reg: Any) -> Any:
    """Fetch ``version`` (verified) and load it as ``part``; raises when it is not usable."""
    path = reg.fetch_version(model, version, rt.settings.model_cache_dir)
    if part == "nlu":
        from nabiyam.nlu import NluService

        service = NluService.load(path)
        if service.model_version is None:
            raise RuntimeError(f"NLU {version} did not load (see the log); keeping the old one")
        return service
    from nabiyam.recsys import Recommender

    if rt.catalogue is None:
        raise RuntimeError("no catalogue, so no recommender")
    rec = Recommender.load(path, rt.catalogue)
    if rec.artifacts is None:
        raise RuntimeError(f"ranker {version} did not load: {rec.fallback_reason}")
    rec.artifacts.version = version  # the registry version is what the conversation log records
    return rec


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


def _track(rt: Runtime, part: str, model: str, follow: bool) -> str | None:
    """Follow the registry for ``part`` when it was discovered (``follow``): the registry
    version loaded, or None when nothing came from the registry yet (a later promotion is
    then picked up by the refresh)."""
    source = rt.sources.get(model, "")
    if not source.startswith("registry:"):
        if follow:
            rt.registry_targets[part] = None
        return None
    from nabiyam.registry import read_local_marker

    marker = read_local_marker(Path(source.split(":", 1)[1])) or {}
    rt.registry_targets[part] = marker.get("version")
    return rt.registry_targets[part]


def _load_candidate(rt: Runtime) -> None:
    """The experiment's treatment arm: the ranker ``candidate`` alias (none: everyone is control)."""
    from nabiyam.registry import Registry

    rt.registry_targets["treatment"] = None
    try:
        reg = Registry(rt.settings)
        target = reg.alias("ranker", "candidate")
        if target is None:
            rt.problems["treatment"] = "experiment on, but no ranker candidate: every user gets control"
            return
        rt._treatment = _load_part(rt, "treatment", "ranker", target, reg)
        rt.registry_targets["treatment"] = target
        rt.versions["ranker_treatment"] = target
        rt.sources["ranker_treatment"] = f"registry:candidate:{target}"
    except Exception as exc:  # noqa: BLE001 - no treatment arm rather than no service
        rt.problems["treatment"] = f"candidate ranker unusable, every user gets control: {type(exc).__name__}: {exc}"
        logger.error("treatment ranker unavailable", extra={"error": str(exc)})


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
        _track(rt, "nlu", "nlu", isinstance(nlu_dir, _Discover) and _remote_allowed(settings))
        if rt.nlu.model_version is None:
            rt.problems.setdefault("nlu", "no NLU model: rules only")
    except Exception as exc:  # noqa: BLE001 - NLU package absent or broken
        logger.error("NLU unavailable", extra={"error": f"{type(exc).__name__}: {exc}"})
        rt.problems["nlu"] = f"{type(exc).__name__}: {exc}"
    if rt.catalogue is not None:
        try:
            from nabiyam.recsys import Recommender

            rt.recommender = Recommender.load(_fetch_model("ranker", settings, ranker_dir, rt), rt.catalogue)
            registry_version = _track(rt, "recommender", "ranker",
                                      isinstance(ranker_dir, _Discover) and _remote_allowed(settings))
            if registry_version and rt._recommender.artifacts is not None:
                rt._recommender.artifacts.version = registry_version  # what the log records
            rt.versions["ranker"] = rt._recommender.model_version
            reason = getattr(rt._recommender, "fallback_reason", None)
            if reason:
                rt.problems.setdefault("ranker", f"funnel-score blend fallback: {reason}")
            if treatment_ranker_dir is not None:
                rt.treatment = Recommender.load(treatment_ranker_dir, rt.catalogue)
                rt.versions["ranker_treatment"] = rt._treatment.model_version
            elif isinstance(ranker_dir, _Discover) and settings.treatment_share > 0 and _remote_allowed(settings):
                _load_candidate(rt)
        except Exception as exc:  # noqa: BLE001
            logger.error("recommender unavailable", extra={"error": f"{type(exc).__name__}: {exc}"})
            rt.problems["recommender"] = f"{type(exc).__name__}: {exc}"
    else:
        rt.problems["recommender"] = "no catalogue, so no recommender"
    rt.load_ms = (time.perf_counter() - started) * 1000
    rt._checked_at = time.monotonic()
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

"""One typed settings object for every process (Lambda, CLI, tests).

Variable names are the ones ``template.yaml`` sets in ``Globals.Function.Environment``
(prefix ``NABIYAM_``), so a function in AWS and a local process read the same names.
Locally, resource names default to the template's names for the ``dev`` stage and the
endpoint comes from ``AWS_ENDPOINT_URL`` or the local-stack state file.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

ENV_PREFIX = "NABIYAM_"
#: moto's account id: local bucket names end with it, as the template's end with AWS::AccountId.
LOCAL_ACCOUNT_ID = "123456789012"


def _default_state_dir() -> Path:
    return Path.cwd() / ".nabiyam"


def state_file_path() -> Path:
    """Where `nabiyam local up` writes its state (NABIYAM_STATE_DIR or ./.nabiyam)."""
    state_dir = os.environ.get(f"{ENV_PREFIX}STATE_DIR")
    return (Path(state_dir) if state_dir else _default_state_dir()) / "local-stack.json"


class LocalStackSource(PydanticBaseSettingsSource):
    """Resource names from the local-stack state file: below real env vars, above defaults."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls)
        self._values = self._load()

    def _load(self) -> dict[str, Any]:
        try:
            state = json.loads(state_file_path().read_text())
        except (OSError, ValueError):
            return {}
        env = state.get("env") if isinstance(state, dict) else None
        if not isinstance(env, dict):
            return {}
        fields = self.settings_cls.model_fields
        values: dict[str, Any] = {}
        for key, value in env.items():
            if isinstance(key, str) and key.startswith(ENV_PREFIX):
                name = key[len(ENV_PREFIX):].lower()
                if name in fields and name != "state_dir":
                    values[name] = value
        return values

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self._values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self._values)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    stage: str = Field("dev", description="Deployment stage: dev or prod")
    region: str = Field("ap-northeast-2", description="AWS region (Seoul)")
    service_name: str = "nabiyam"

    # Resource names: set by template.yaml in AWS; locally derived from the template.
    conversations_table: str = "nabiyam-dev-conversations"
    feedback_table: str = "nabiyam-dev-feedback"
    daily_metrics_table: str = "nabiyam-dev-daily-metrics"
    model_registry_table: str = "nabiyam-dev-model-registry"
    idempotency_table: str = "nabiyam-dev-idempotency"
    catalogue_table: str = "nabiyam-dev-catalogue"
    users_table: str = "nabiyam-dev-users"
    interactions_table: str = "nabiyam-dev-interactions"
    artifacts_bucket: str = f"nabiyam-dev-artifacts-{LOCAL_ACCOUNT_ID}"
    learning_data_bucket: str = f"nabiyam-dev-learning-data-{LOCAL_ACCOUNT_ID}"
    site_bucket: str = f"nabiyam-dev-site-{LOCAL_ACCOUNT_ID}"

    # Local development: where the local stack writes its state, models live, etc.
    state_dir: Path = Field(default_factory=_default_state_dir)
    artifacts_dir: Path = Field(default_factory=lambda: Path.cwd() / "artifacts")
    model_cache_dir: Path = Path("/tmp/nabiyam-models")
    template_path: Path | None = Field(None, description="template.yaml for the local stack (default: repo root)")

    # Behaviour
    auth_mode: str = Field("body", description="'jwt' in AWS (user from claims), 'body' in dev")
    nlu_confidence_threshold: float = 0.6
    max_message_chars: int = 500
    experiment_name: str = Field("ranker-ab", description="A/B experiment the chat variant is assigned for")
    treatment_share: float = Field(0.0, ge=0.0, le=1.0, description="share of users in the treatment arm")
    # Child safety (nabiyam.domain.recommendation.ChildSafety): where and when a child is sent.
    child_walk_max_m: float = Field(1500.0, gt=0, description="walking distance: the default search radius")
    child_far_max_m: float = Field(4000.0, gt=0, description="farthest shop when nothing within walking distance fits")
    late_night_start_hour: int = Field(22, ge=0, le=23, description="KST hour late night starts (gentle word, very near)")
    late_night_end_hour: int = Field(6, ge=0, le=23, description="KST hour late night ends")
    late_night_max_m: float = Field(700.0, gt=0, description="late at night only shops this near")
    model_refresh_seconds: float = Field(60.0, ge=0.0, description="TTL of the registry alias check: a promoted or "
                                         "rolled-back model serves within this many seconds, no restart (0: never)")
    retrain_job_queue: str | None = Field(None, description="AWS Batch queue of the training pipeline (unset: local)")
    retrain_job_definition: str | None = Field(None, description="AWS Batch job definition of the training pipeline")
    slack_webhook_url: str | None = None
    slack_bot_token: str | None = Field(None, description="local override; in AWS the token is in the secret below")
    slack_bot_token_secret: str | None = Field(None, description="Secrets Manager id of the Slack bot token")
    slack_channel: str = "#nabiyam-report"
    slack_api_url: str | None = Field(None, description="Slack Web API base URL (local endpoint in tests)")
    dashboard_url: str = "https://dashboard.example.com/"
    # Reliability: one time budget per request, derived from the API function's Timeout.
    api_timeout_s: float = Field(10.0, gt=0, le=29, description=(
        "the API function's Timeout: template.yaml parameter ApiTimeoutSeconds, passed to every function as "
        "NABIYAM_API_TIMEOUT_S (locally read from the template through the local-stack state)"))
    answer_reserve_s: float = Field(1.0, ge=0, description="part of the API time budget kept for answering "
                                                          "after the last AWS call")
    dependency_concurrency: int = Field(8, ge=1, description="AWS calls in flight per dependency (bulkhead)")
    breaker_failures: int = Field(2, ge=1, description="consecutive timeouts/outages that open a dependency's "
                                                       "circuit breaker")
    breaker_cooldown_s: float = Field(3.0, gt=0, description="an open breaker lets one trial call through after this")
    health_probe_timeout_s: float = Field(0.5, gt=0, description="per-dependency probe timeout of GET /health")
    spool_dir: Path | None = Field(None, description="durable spool of writes that missed their table "
                                                      "(default: <state_dir>/spool, /tmp/nabiyam-spool in Lambda)")
    at_window_past_years: int = Field(2, ge=0, description="`context.at` may name a year this many years before "
                                                           "the service clock's")
    at_window_future_years: int = Field(1, ge=0, description="... and this many after")
    report_dir: Path = Field(default_factory=lambda: Path("/tmp/nabiyam-reports") if os.environ.get(
        "AWS_LAMBDA_FUNCTION_NAME") else Path.cwd() / "var" / "reports",
        description="where report jobs write local output (the Slack payload when there is no token)")

    @property
    def state_file(self) -> Path:
        return self.state_dir / "local-stack.json"

    @property
    def spool_path(self) -> Path:
        """Where writes that missed their table wait for the reconcile job."""
        if self.spool_dir is not None:
            return self.spool_dir
        if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
            return Path("/tmp/nabiyam-spool")
        return self.state_dir / "spool"

    @property
    def request_budget_s(self) -> float:
        """Seconds one API request may spend on AWS calls: the function's timeout less the answer reserve."""
        return max(0.2, self.api_timeout_s - self.answer_reserve_s)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # real env vars > local-stack state file > defaults
        return (init_settings, env_settings, LocalStackSource(settings_cls), dotenv_settings, file_secret_settings)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings (cached: Lambda containers read the environment once)."""
    return Settings()

"""One typed settings object for every process (Lambda, CLI, tests).

Variable names are the ones ``template.yaml`` sets in ``Globals.Function.Environment``
(prefix ``NABIYAM_``), so a function in AWS and a local process read the same names.
Locally, resource names default to the template's names for the ``dev`` stage and the
endpoint comes from ``AWS_ENDPOINT_URL`` or the local-stack state file.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_state_dir() -> Path:
    return Path.cwd() / ".nabiyam"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NABIYAM_", extra="ignore")

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
    artifacts_bucket: str = "nabiyam-dev-artifacts"
    learning_data_bucket: str = "nabiyam-dev-learning-data"
    site_bucket: str = "nabiyam-dev-site"

    # Local development: where the local stack writes its state, models live, etc.
    state_dir: Path = Field(default_factory=_default_state_dir)
    artifacts_dir: Path = Field(default_factory=lambda: Path.cwd() / "artifacts")
    model_cache_dir: Path = Path("/tmp/nabiyam-models")

    # Behaviour
    auth_mode: str = Field("body", description="'jwt' in AWS (user from claims), 'body' in dev")
    nlu_confidence_threshold: float = 0.6
    max_message_chars: int = 500
    slack_webhook_url: str | None = None
    slack_bot_token: str | None = None
    slack_channel: str = "#nabiyam-report"
    slack_api_url: str | None = Field(None, description="Slack Web API base URL (local endpoint in tests)")
    dashboard_url: str = "https://dashboard.example.com/"

    @property
    def state_file(self) -> Path:
        return self.state_dir / "local-stack.json"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings (cached: Lambda containers read the environment once)."""
    return Settings()

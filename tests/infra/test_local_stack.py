"""The local stack equals the template: names, keys, GSIs, TTL, PITR, versioning."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from nabiyam.infra.provision import describe_bucket, describe_table
from nabiyam.infra.template import load_template, stack_spec

# The naming contract other engineers code against (issue 2).
EXPECTED_TABLES = {
    "ConversationsTable": ("nabiyam-dev-conversations", "conversation_id", None, {"by_user": ("user_id", "created_at")}, None),
    "FeedbackTable": ("nabiyam-dev-feedback", "event_id", None,
                      {"by_conversation": ("conversation_id", "created_at"), "by_day": ("day", "created_at")}, None),
    "DailyMetricsTable": ("nabiyam-dev-daily-metrics", "day", "scope", {}, None),
    "ModelRegistryTable": ("nabiyam-dev-model-registry", "model_name", "version", {}, None),
    "IdempotencyTable": ("nabiyam-dev-idempotency", "id", None, {}, "expiration"),
    "CatalogueTable": ("nabiyam-dev-catalogue", "pk", "sk", {"by_district": ("district", "pk")}, None),
    "UsersTable": ("nabiyam-dev-users", "user_id", None, {}, None),
    "InteractionsTable": ("nabiyam-dev-interactions", "user_id", "sk", {"by_shop": ("shop_id", "sk")}, None),
}


def _clients(stack: Any) -> tuple[Any, Any]:
    session = boto3.session.Session(region_name="ap-northeast-2", aws_access_key_id="testing",
                                    aws_secret_access_key="testing")
    return session.client("dynamodb", endpoint_url=stack.endpoint), session.client("s3", endpoint_url=stack.endpoint)


def test_template_declares_the_naming_contract() -> None:
    spec = stack_spec("dev")
    assert {t.logical_id for t in spec.tables} == set(EXPECTED_TABLES)
    for table in spec.tables:
        name, hash_key, range_key, gsis, ttl = EXPECTED_TABLES[table.logical_id]
        assert (table.name, table.hash_key, table.range_key, table.ttl_attribute) == (name, hash_key, range_key, ttl)
        assert {i.name: (i.hash_key, i.range_key) for i in table.indexes} == gsis
        assert table.billing_mode == "PAY_PER_REQUEST" and table.pitr and table.sse
    assert {b.logical_id: b.name for b in spec.buckets} == {
        "ArtifactsBucket": "nabiyam-dev-artifacts-123456789012",
        "LearningDataBucket": "nabiyam-dev-learning-data-123456789012",
        "SiteBucket": "nabiyam-dev-site-123456789012",
    }


def test_prod_stage_resolves_prod_names_and_jwt_mode() -> None:
    spec = stack_spec("prod", account_id="999999999999")
    assert spec.table("FeedbackTable").name == "nabiyam-prod-feedback"
    assert "nabiyam-prod-site-999999999999" in {b.name for b in spec.buckets}
    assert spec.env["NABIYAM_AUTH_MODE"] == "jwt"
    assert stack_spec("dev").env["NABIYAM_AUTH_MODE"] == "body"


def test_function_env_matches_settings_fields() -> None:
    """Every NABIYAM_* variable the template sets is a Settings field (same names everywhere)."""
    from nabiyam.settings import Settings

    template = load_template()
    variables = dict(template["Globals"]["Function"]["Environment"]["Variables"])
    for resource in template["Resources"].values():
        variables.update(((resource.get("Properties") or {}).get("Environment") or {}).get("Variables") or {})
    fields = set(Settings.model_fields)
    nabiyam_vars = [v for v in variables if v.startswith("NABIYAM_")]
    assert len(nabiyam_vars) >= 14
    for var in nabiyam_vars:
        assert var.removeprefix("NABIYAM_").lower() in fields, var


def test_local_resources_equal_the_template(local_stack: Any) -> None:
    ddb, s3 = _clients(local_stack)
    spec = local_stack.spec
    assert sorted(ddb.list_tables()["TableNames"]) == sorted(t.name for t in spec.tables)
    for table in spec.tables:
        described = describe_table(ddb, table.name, table.logical_id)
        assert described.hash_key == table.hash_key
        assert described.range_key == table.range_key
        assert described.attribute_types == table.attribute_types
        assert sorted(described.indexes, key=lambda i: i.name) == sorted(table.indexes, key=lambda i: i.name)
        assert described.ttl_attribute == table.ttl_attribute
        assert described.billing_mode == table.billing_mode
        assert described.pitr == table.pitr
    assert sorted(b["Name"] for b in s3.list_buckets()["Buckets"]) == sorted(b.name for b in spec.buckets)
    for bucket in spec.buckets:
        assert describe_bucket(s3, bucket.name, bucket.logical_id) == bucket


def test_fixture_points_settings_and_boto3_at_the_stack(local_stack: Any) -> None:
    from nabiyam import aws
    from nabiyam.settings import get_settings

    settings = get_settings()
    assert settings.feedback_table == local_stack.tables["FeedbackTable"]
    assert settings.artifacts_bucket == local_stack.buckets["ArtifactsBucket"]
    assert aws.local_endpoint() == local_stack.endpoint
    assert local_stack.spec.table("UsersTable").name in aws.client("dynamodb").list_tables()["TableNames"]


def test_provisioning_twice_is_idempotent(local_stack: Any) -> None:
    from nabiyam.infra.local_stack import provision_stack
    from nabiyam.settings import get_settings

    _, report = provision_stack(local_stack.endpoint, get_settings())
    assert report["created"] == []
    assert len(report["existing"]) == len(local_stack.spec.tables) + len(local_stack.spec.buckets)


@pytest.mark.parametrize("bad, message", [
    ("Resources: [1, 2]\n", "no Resources"),
    ("Parameters: {Stage: {Type: String, Default: dev}}\nResources:\n  T:\n    Type: AWS::DynamoDB::Table\n"
     "    Properties: {TableName: x}\n", "lacks a required property"),
    ("Resources: {}\n", "no Stage parameter"),
    ("a: [unclosed\n", "not valid YAML"),
])
def test_bad_template_is_a_clear_error(tmp_path: Any, bad: str, message: str) -> None:
    from nabiyam.infra.template import TemplateError

    path = tmp_path / "template.yaml"
    path.write_text(bad)
    with pytest.raises(TemplateError, match=message):
        stack_spec("dev", path=path)


def test_unknown_stage_is_rejected() -> None:
    from nabiyam.infra.template import TemplateError

    with pytest.raises(TemplateError, match="not one of"):
        stack_spec("staging")

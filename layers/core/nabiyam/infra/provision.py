"""Creates the template's tables and buckets in a local (moto) endpoint, idempotently.

Also describes what exists, in the same shape as the template specs, so a test can prove
local resources equal the template's.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from nabiyam.infra.template import BucketSpec, IndexSpec, StackSpec, TableSpec


def _key_schema(hash_key: str, range_key: str | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": hash_key, "KeyType": "HASH"}]
    if range_key:
        schema.append({"AttributeName": range_key, "KeyType": "RANGE"})
    return schema


def create_table(ddb: Any, spec: TableSpec) -> bool:
    """Create one table with its GSIs, TTL and PITR. Returns False when it already existed."""
    kwargs: dict[str, Any] = {
        "TableName": spec.name,
        "KeySchema": _key_schema(spec.hash_key, spec.range_key),
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in spec.attribute_types.items()],
        "BillingMode": spec.billing_mode,
    }
    if spec.billing_mode != "PAY_PER_REQUEST":
        kwargs["ProvisionedThroughput"] = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    if spec.indexes:
        kwargs["GlobalSecondaryIndexes"] = [
            {"IndexName": i.name, "KeySchema": _key_schema(i.hash_key, i.range_key), "Projection": {"ProjectionType": i.projection}}
            for i in spec.indexes
        ]
    if spec.sse:
        kwargs["SSESpecification"] = {"Enabled": True}
    try:
        ddb.create_table(**kwargs)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceInUseException":
            raise
        created = False
    else:
        created = True
        ddb.get_waiter("table_exists").wait(TableName=spec.name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})
    if spec.ttl_attribute:
        current = ddb.describe_time_to_live(TableName=spec.name)["TimeToLiveDescription"]
        if current.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
            ddb.update_time_to_live(TableName=spec.name,
                                    TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute})
    if spec.pitr:
        ddb.update_continuous_backups(TableName=spec.name,
                                      PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    return created


def create_bucket(s3: Any, spec: BucketSpec, region: str) -> bool:
    """Create one private bucket with its versioning and encryption. False when it existed."""
    kwargs: dict[str, Any] = {"Bucket": spec.name}
    if region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        s3.create_bucket(**kwargs)
        created = True
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise
        created = False
    s3.put_public_access_block(Bucket=spec.name, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    if spec.versioned:
        s3.put_bucket_versioning(Bucket=spec.name, VersioningConfiguration={"Status": "Enabled"})
    if spec.encryption:
        s3.put_bucket_encryption(Bucket=spec.name, ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": spec.encryption}}]})
    return created


def provision(spec: StackSpec, ddb: Any, s3: Any, region: str) -> dict[str, list[str]]:
    """Create every table and bucket of ``spec``; returns the names created and reused."""
    report: dict[str, list[str]] = {"created": [], "existing": []}
    for table in spec.tables:
        report["created" if create_table(ddb, table) else "existing"].append(table.name)
    for bucket in spec.buckets:
        report["created" if create_bucket(s3, bucket, region) else "existing"].append(bucket.name)
    return report


def describe_table(ddb: Any, name: str, logical_id: str = "") -> TableSpec:
    """The table as the endpoint reports it, in the template's spec shape."""
    t = ddb.describe_table(TableName=name)["Table"]

    def keys(schema: list[dict[str, str]]) -> tuple[str, str | None]:
        h = next(k["AttributeName"] for k in schema if k["KeyType"] == "HASH")
        r = next((k["AttributeName"] for k in schema if k["KeyType"] == "RANGE"), None)
        return h, r

    hash_key, range_key = keys(t["KeySchema"])
    indexes = tuple(
        IndexSpec(g["IndexName"], *keys(g["KeySchema"]), g["Projection"]["ProjectionType"])
        for g in t.get("GlobalSecondaryIndexes", [])
    )
    ttl = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    backups = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    pitr = backups.get("PointInTimeRecoveryDescription", {}).get("PointInTimeRecoveryStatus") == "ENABLED"
    return TableSpec(
        logical_id=logical_id,
        name=t["TableName"],
        hash_key=hash_key,
        range_key=range_key,
        attribute_types={a["AttributeName"]: a["AttributeType"] for a in t["AttributeDefinitions"]},
        indexes=indexes,
        ttl_attribute=ttl.get("AttributeName") if ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING") else None,
        billing_mode=t.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED"),
        pitr=pitr,
        sse=t.get("SSEDescription", {}).get("Status") in ("ENABLED", "ENABLING"),
    )


def describe_bucket(s3: Any, name: str, logical_id: str = "") -> BucketSpec:
    versioned = s3.get_bucket_versioning(Bucket=name).get("Status") == "Enabled"
    try:
        rules = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
        enc = rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"]
    except ClientError:
        enc = None
    return BucketSpec(logical_id=logical_id, name=name, versioned=versioned, encryption=enc)


def empty(spec: StackSpec, ddb: Any, s3: Any) -> None:
    """Delete every item and object (all versions) but keep the resources (test isolation)."""
    for table in spec.tables:
        keys = [table.hash_key] + ([table.range_key] if table.range_key else [])
        projection = ", ".join(f"#k{i}" for i in range(len(keys)))
        names = {f"#k{i}": k for i, k in enumerate(keys)}
        kwargs: dict[str, Any] = {"TableName": table.name, "ProjectionExpression": projection,
                                  "ExpressionAttributeNames": names}
        while True:
            page = ddb.scan(**kwargs)
            items = page.get("Items", [])
            for start in range(0, len(items), 25):
                requests = [{"DeleteRequest": {"Key": item}} for item in items[start:start + 25]]
                pending: dict[str, Any] = {table.name: requests}
                for _ in range(10):
                    pending = ddb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
                    if not pending:
                        break
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    for bucket in spec.buckets:
        paginator = s3.get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=bucket.name):
            objects = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                       for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
            for start in range(0, len(objects), 1000):
                s3.delete_objects(Bucket=bucket.name, Delete={"Objects": objects[start:start + 1000], "Quiet": True})

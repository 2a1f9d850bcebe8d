"""Reads template.yaml, the one source of truth for resources.

A small CloudFormation YAML loader (short-form tags such as ``!Sub``) and an evaluator for
the intrinsic functions the template uses on names (Ref, Sub, If, Equals, Not, And, Or,
Join, Select). The local stack builds its tables and buckets from the specs returned here,
so a table added to the template appears locally with no second list to keep in sync.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from nabiyam.settings import LOCAL_ACCOUNT_ID, Settings, get_settings

TABLE_TYPE = "AWS::DynamoDB::Table"
BUCKET_TYPE = "AWS::S3::Bucket"


class TemplateError(ValueError):
    """The template is missing, malformed, or uses something this reader cannot resolve."""


class Unresolvable(TemplateError):
    """A value depends on something only CloudFormation knows (GetAtt, unknown Ref)."""


# ---------------------------------------------------------------- loading


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that turns ``!Tag value`` into ``{"Fn::Tag": value}`` (``!Ref`` → Ref)."""


def _construct_tag(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "Condition":
        return {"Condition": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{tag_suffix}": value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


def default_template_path(settings: Settings | None = None) -> Path:
    """NABIYAM_TEMPLATE_PATH, else the repository root (this file is layers/core/nabiyam/infra/)."""
    settings = settings or get_settings()
    if settings.template_path is not None:
        return Path(settings.template_path)
    repo_root = Path(__file__).resolve().parents[4]
    candidate = repo_root / "template.yaml"
    if candidate.is_file():
        return candidate
    return Path.cwd() / "template.yaml"


def load_template(path: Path | None = None) -> dict[str, Any]:
    path = Path(path) if path is not None else default_template_path()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TemplateError(f"cannot read template {path}: {exc.strerror or exc}") from exc
    try:
        data = yaml.load(text, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        raise TemplateError(f"template {path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("Resources"), dict):
        raise TemplateError(f"template {path} has no Resources section")
    return data


# ---------------------------------------------------------------- evaluation

_SUB_VAR = re.compile(r"\$\{([^}!][^}]*)\}")
_NAME_PROPERTY = {TABLE_TYPE: "TableName", BUCKET_TYPE: "BucketName"}


class Evaluator:
    """Evaluates intrinsic functions for one stage, region and account."""

    def __init__(self, template: dict[str, Any], parameters: dict[str, str] | None = None,
                 region: str = "ap-northeast-2", account_id: str = LOCAL_ACCOUNT_ID) -> None:
        self.template = template
        self.resources: dict[str, Any] = template["Resources"]
        self.params: dict[str, Any] = {}
        for name, spec in (template.get("Parameters") or {}).items():
            value = (parameters or {}).get(name, spec.get("Default"))
            if value is None:
                raise TemplateError(f"parameter {name} has no default; pass a value for it")
            if spec.get("Type") == "CommaDelimitedList" and isinstance(value, str):
                value = [v.strip() for v in value.split(",")] if value else [""]
            allowed = spec.get("AllowedValues")
            if allowed and value not in allowed and str(value) not in [str(a) for a in allowed]:
                raise TemplateError(f"parameter {name}={value!r} is not one of {allowed}")
            self.params[name] = value
        unknown = set(parameters or {}) - set(self.params)
        if unknown:
            raise TemplateError(f"unknown template parameter(s): {', '.join(sorted(unknown))}")
        self.pseudo = {
            "AWS::Region": region,
            "AWS::AccountId": account_id,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": f"nabiyam-{self.params.get('Stage', 'dev')}",
            "AWS::NoValue": None,
        }
        self._conditions: dict[str, bool] = {}

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            conditions = self.template.get("Conditions") or {}
            if name not in conditions:
                raise TemplateError(f"unknown condition {name!r}")
            self._conditions[name] = bool(self.eval(conditions[name]))
        return self._conditions[name]

    def ref(self, name: str) -> Any:
        if name in self.params:
            return self.params[name]
        if name in self.pseudo:
            return self.pseudo[name]
        resource = self.resources.get(name)
        if resource is None:
            raise TemplateError(f"Ref to unknown name {name!r}")
        prop = _NAME_PROPERTY.get(resource.get("Type", ""))
        if prop and prop in (resource.get("Properties") or {}):
            return self.eval(resource["Properties"][prop])
        raise Unresolvable(f"Ref {name} ({resource.get('Type')}) is known only after deployment")

    def eval(self, node: Any) -> Any:  # noqa: C901 - one branch per intrinsic
        if isinstance(node, list):
            return [self.eval(v) for v in node]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (key, arg), = node.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Condition":
                return self.condition(arg)
            if key == "Fn::Sub":
                return self._sub(arg)
            if key == "Fn::If":
                cond, yes, no = arg
                return self.eval(yes if self.condition(cond) else no)
            if key == "Fn::Equals":
                a, b = (self.eval(v) for v in arg)
                return str(a) == str(b)
            if key == "Fn::Not":
                return not self.eval(arg[0])
            if key == "Fn::And":
                return all(self.eval(v) for v in arg)
            if key == "Fn::Or":
                return any(self.eval(v) for v in arg)
            if key == "Fn::Join":
                sep, items = arg
                return sep.join(str(v) for v in self.eval(items))
            if key == "Fn::Select":
                index, items = arg
                return self.eval(items)[int(self.eval(index))]
            if key.startswith("Fn::"):
                raise Unresolvable(f"{key} is known only after deployment")
        return {k: self.eval(v) for k, v in node.items()}

    def _sub(self, arg: Any) -> str:
        if isinstance(arg, list):
            text, variables = arg[0], {k: self.eval(v) for k, v in arg[1].items()}
        else:
            text, variables = arg, {}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(variables[name])
            if "." in name:
                raise Unresolvable(f"${{{name}}} is known only after deployment")
            return str(self.ref(name))

        return _SUB_VAR.sub(replace, text)


# ---------------------------------------------------------------- resource specs


@dataclass(frozen=True)
class IndexSpec:
    name: str
    hash_key: str
    range_key: str | None
    projection: str


@dataclass(frozen=True)
class TableSpec:
    logical_id: str
    name: str
    hash_key: str
    range_key: str | None
    attribute_types: dict[str, str]
    indexes: tuple[IndexSpec, ...]
    ttl_attribute: str | None
    billing_mode: str
    pitr: bool
    sse: bool


@dataclass(frozen=True)
class BucketSpec:
    logical_id: str
    name: str
    versioned: bool
    encryption: str | None


@dataclass(frozen=True)
class StackSpec:
    """Everything the local stack needs from the template, resolved for one stage."""

    stage: str
    tables: tuple[TableSpec, ...]
    buckets: tuple[BucketSpec, ...]
    env: dict[str, str] = field(default_factory=dict)

    def table(self, logical_id: str) -> TableSpec:
        for spec in self.tables:
            if spec.logical_id == logical_id:
                return spec
        raise KeyError(logical_id)


def _keys(schema: list[dict[str, str]]) -> tuple[str, str | None]:
    hash_key = next(k["AttributeName"] for k in schema if k["KeyType"] == "HASH")
    range_key = next((k["AttributeName"] for k in schema if k["KeyType"] == "RANGE"), None)
    return hash_key, range_key


def _table_spec(logical_id: str, props: dict[str, Any]) -> TableSpec:
    hash_key, range_key = _keys(props["KeySchema"])
    indexes = []
    for gsi in props.get("GlobalSecondaryIndexes") or []:
        g_hash, g_range = _keys(gsi["KeySchema"])
        indexes.append(IndexSpec(gsi["IndexName"], g_hash, g_range, gsi.get("Projection", {}).get("ProjectionType", "ALL")))
    ttl = props.get("TimeToLiveSpecification") or {}
    return TableSpec(
        logical_id=logical_id,
        name=props["TableName"],
        hash_key=hash_key,
        range_key=range_key,
        attribute_types={a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]},
        indexes=tuple(indexes),
        ttl_attribute=ttl.get("AttributeName") if ttl.get("Enabled") else None,
        billing_mode=props.get("BillingMode", "PROVISIONED"),
        pitr=bool((props.get("PointInTimeRecoverySpecification") or {}).get("PointInTimeRecoveryEnabled")),
        sse=bool((props.get("SSESpecification") or {}).get("SSEEnabled")),
    )


def _bucket_spec(logical_id: str, props: dict[str, Any]) -> BucketSpec:
    enc = None
    rules = ((props.get("BucketEncryption") or {}).get("ServerSideEncryptionConfiguration")) or []
    if rules:
        enc = rules[0]["ServerSideEncryptionByDefault"]["SSEAlgorithm"]
    return BucketSpec(
        logical_id=logical_id,
        name=props["BucketName"],
        versioned=(props.get("VersioningConfiguration") or {}).get("Status") == "Enabled",
        encryption=enc,
    )


def stack_spec(stage: str = "dev", *, template: dict[str, Any] | None = None, path: Path | None = None,
               region: str = "ap-northeast-2", account_id: str = LOCAL_ACCOUNT_ID,
               parameters: dict[str, str] | None = None) -> StackSpec:
    """Tables, buckets and the functions' environment, resolved for ``stage``."""
    template = template if template is not None else load_template(path)
    if "Stage" not in (template.get("Parameters") or {}):
        raise TemplateError("template has no Stage parameter (resource names are nabiyam-<Stage>-<name>)")
    ev = Evaluator(template, {**(parameters or {}), "Stage": stage}, region=region, account_id=account_id)
    tables, buckets = [], []
    for logical_id, resource in template["Resources"].items():
        if not isinstance(resource, dict):
            raise TemplateError(f"resource {logical_id} is not a mapping")
        if "Condition" in resource and not ev.condition(resource["Condition"]):
            continue
        rtype = resource.get("Type")
        if rtype not in (TABLE_TYPE, BUCKET_TYPE):
            continue
        props = ev.eval(resource.get("Properties") or {})
        try:
            spec = _table_spec(logical_id, props) if rtype == TABLE_TYPE else _bucket_spec(logical_id, props)
        except (KeyError, StopIteration, TypeError) as exc:
            raise TemplateError(f"resource {logical_id} lacks a required property: {exc}") from exc
        (tables if rtype == TABLE_TYPE else buckets).append(spec)
    return StackSpec(stage=stage, tables=tuple(tables), buckets=tuple(buckets), env=function_env(template, ev))


def function_env(template: dict[str, Any], ev: Evaluator) -> dict[str, str]:
    """Globals.Function.Environment.Variables, resolved; values only AWS knows are left out."""
    variables = (((template.get("Globals") or {}).get("Function") or {}).get("Environment") or {}).get("Variables") or {}
    env: dict[str, str] = {}
    for name, value in variables.items():
        try:
            resolved = ev.eval(value)
        except Unresolvable:
            continue
        if resolved is not None:
            env[name] = str(resolved)
    return env

"""Store a comparison report and apply its decision in the registry, with the reason audited.

The report goes to the artifacts bucket (``ComparisonReport.key`` and ``latest_key``);
``promote`` moves the ``production`` alias, ``reject`` marks the candidate rejected — both
with the report's reasons and key in the registry's audit event.
"""

from __future__ import annotations

from nabiyam.evaluation.report import ComparisonReport
from nabiyam.registry import Registry
from nabiyam.settings import Settings
from nabiyam.storage.blobs import BlobStore


def record_decision(report: ComparisonReport, settings: Settings, *, actor: str = "evaluation",
                    apply: bool = True) -> str:
    """Save the report; with ``apply`` promote or reject the candidate. Returns the report key."""
    blobs = BlobStore(settings.artifacts_bucket, settings)
    body = report.model_dump(mode="json")
    blobs.put_json(report.key, body)
    blobs.put_json(ComparisonReport.latest_key(report.model_name), body)
    if not apply or report.candidate_version == "unregistered":
        return report.key
    reg = Registry(settings)
    reason = "; ".join(report.reasons)
    details = {"report_id": report.report_id, "primary_metric": report.primary_metric,
               "agrees_with_oracle": report.agrees_with_oracle}
    if report.decision == "promote":
        reg.promote(report.model_name, report.candidate_version, actor=f"{actor}:evaluation", reason=reason,
                    report_key=report.key, details=details)
    else:
        reg.reject(report.model_name, report.candidate_version, actor=f"{actor}:evaluation", reason=reason,
                   report_key=report.key, details=details)
    return report.key

"""Child safety checks on every answer: hard filters re-checked from the catalogue, and
the claim checker (every line of an answer true against the request, catalogue and clock)."""

from nabiyam.safety.claims import ClaimReport, Violation, check_answer, check_record
from nabiyam.safety.hard_filters import AnswerRequest, PersonalFacts, shop_violations, violations_by_shop

__all__ = ["AnswerRequest", "ClaimReport", "PersonalFacts", "Violation", "check_answer", "check_record",
           "shop_violations", "violations_by_shop"]

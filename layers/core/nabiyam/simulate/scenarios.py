"""Named, seeded traffic scenarios (docs/simulator.md).

=========  ==================================================================================
steady     the same number of sessions every day; the models the stack serves
growth     traffic rises day over day (``growth`` per day, compounding: 5 % → ×1.05 a day)
incident   from ``incident_day`` on, the ranker artifact the containers load is corrupt, so the
           service falls back to the funnel blend (``incident="ranker"``); or the NLU model is
           missing and rules answer (``incident="nlu"``); or a bad deploy that still loads: the
           served ranker with its final logit sign-flipped ranks worst first (``"bad-ranker"``);
           or a bad NLU deploy that loads: the served NLU with its slot head collapsed to the
           tag ``O``, so the intent is right but the asked category, food and budget words are
           lost and the answer ignores what the child asked for (``"bad-nlu"``).
           The drop the alerts must catch (how big a fallback's drop is depends on how much
           better the ranker is than the funnel blend: on the tiny test world, not at all;
           ``bad-ranker`` costs it ~10 % of P(pick); ``bad-nlu`` costs the most — the
           world's utility gives +1.6 for the asked category and +2.2 for the asked food)
ab         a treatment ranker on ``treatment_share`` of users (salted hash of ``user_id``,
           ``chat.variant``); the treatment is ``--treatment DIR`` (a ranker artifact) or, by
           default, the funnel-score blend as a deliberately different arm
=========  ==================================================================================
"""

from __future__ import annotations

from dataclasses import dataclass

SCENARIOS = ("steady", "growth", "incident", "ab")
INCIDENTS = ("ranker", "nlu", "bad-ranker", "bad-nlu")


@dataclass(frozen=True)
class Scenario:
    name: str
    growth: float = 0.05
    incident_day: int | None = None       # 0-based day index the incident starts (default: the middle)
    incident: str = "ranker"
    treatment_share: float = 0.5

    def __post_init__(self) -> None:
        if self.name not in SCENARIOS:
            raise ValueError(f"unknown scenario {self.name!r}; expected one of {', '.join(SCENARIOS)}")
        if self.incident not in INCIDENTS:
            raise ValueError(f"unknown incident {self.incident!r}; expected one of {', '.join(INCIDENTS)}")
        if not 0.0 < self.treatment_share < 1.0:
            raise ValueError(f"treatment share must be strictly between 0 and 1, got {self.treatment_share}")
        if self.growth <= -1.0:
            raise ValueError(f"growth must be above -100 % a day, got {self.growth}")

    def sessions_on(self, day_index: int, per_day: int) -> int:
        if self.name == "growth":
            return max(1, round(per_day * (1.0 + self.growth) ** day_index))
        return per_day

    def first_incident_day(self, days: int) -> int:
        return self.incident_day if self.incident_day is not None else days // 2

    def broken_on(self, day_index: int, days: int) -> str | None:
        """What is broken on that day (``ranker`` | ``nlu`` | ``bad-ranker`` | ``bad-nlu``), or None."""
        if self.name == "incident" and day_index >= self.first_incident_day(days):
            return self.incident
        return None

    @property
    def share(self) -> float:
        """Treatment share the service runs with (0 outside the ab scenario)."""
        return self.treatment_share if self.name == "ab" else 0.0

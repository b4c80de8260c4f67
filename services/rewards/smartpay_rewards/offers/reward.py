"""What a choice earned: the reward every offer policy is trained on and judged by.

reward = margin_rate x spend - point_value x points, over the OUTCOME_WINDOW_DAYS (14) after the choice, where
spend is the customer's points-earning spend in that window (all categories) and points every point it earned
there: the base earn on all of it plus the offer's bonus on the offer category's spend inside the offer.

Why this and not "redeemed or not": an offer is worth showing when the spend it brings on top of what the
customer would have spent anyway is worth more than the points it gives away, including the bonus paid on
spend that would have happened without it. The spend the customer makes regardless is the same whatever the
policy shows, so maximising the expected reward maximises exactly that increment; a policy that pushes 3x on
a customer's usual groceries pays the bonus and gains nothing, and the reward says so. Measuring every action
(no offer included) over the same window keeps a 14-day offer from looking better merely for lasting longer."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RewardDefinition:
    margin_rate: float = 0.10  # what one currency unit of spend is worth to the programme (its merchant margin)
    point_value: float = 0.01  # what one point costs the programme, currency units
    points_per_unit: float = 1.0  # base earn: points per currency unit of spend

    def __post_init__(self) -> None:
        if not (self.margin_rate > 0 and self.point_value >= 0 and self.points_per_unit >= 0):
            raise ValueError("margin_rate must be > 0, point_value and points_per_unit >= 0")

    def reward(self, spend: float, bonus_points: float) -> float:
        """From the spend alone: the base earn is points_per_unit x spend (the simulators)."""
        return self.of(spend, self.points_per_unit * spend + bonus_points)

    def of(self, spend: float, points: float) -> float:
        """From the spend and every point it earned (the ledger's base earn at the merchant's own rate, net
        of clawbacks, plus the offer's bonus): what a logged decision earned (offers/outcome.py)."""
        return self.margin_rate * spend - self.point_value * points

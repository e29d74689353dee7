"""The CRM metric formulas (METRICS.md, "CRM view") on one group's summed components.

Rates are fractions (0.25 = 25 %); lifts and their intervals are in percentage points.
Money is ``Decimal`` (amounts to 4 places, as stored; the API rounds to cents). A ratio
whose denominator is 0 is ``None``; lifts and incremental figures are ``None`` without
a control group (nothing held back) or without deliveries.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

__all__ = ["CENT", "UNCREDITED", "Z95", "metrics_from_components"]

CENT = Decimal("0.0001")
Z95 = 1.96
UNCREDITED = (
    "uncredited_responses_outside_window",
    "uncredited_responses_bounced",
    "uncredited_conversions_outside_window",
    "uncredited_conversions_bounced",
)


def _ratio(numerator: float | Decimal | int, denominator: float | Decimal | int) -> float | None:
    return None if not denominator else float(numerator) / float(denominator)


def _money_ratio(numerator: Decimal, denominator: int) -> Decimal | None:
    return None if not denominator else (numerator / denominator).quantize(CENT)


def metrics_from_components(row: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    """The METRICS.md metrics of one group from its summed components (``crm_daily``
    columns, the allocated ``fixed_cost``, and the per-send figures of
    ``projections.crm.per_send``); ``names`` maps group columns to breakdown names."""
    out: dict[str, Any] = {names[column]: row[column] for column in names}
    out |= _volume(row)
    out |= _customers(row, out)
    out |= _money(row, out)
    out |= _control(row, out)
    out |= _uncredited(row)
    return out


def _volume(row: Mapping[str, Any]) -> dict[str, Any]:
    delivered = int(row["sent"]) - int(row["bounced"])
    responses, conversions = int(row["responders"]), int(row["converters"])
    return {
        "sent": int(row["sent"]),
        "delivered": delivered,
        "bounced": int(row["bounced"]),
        "responses": responses,
        "response_rate": _ratio(responses, delivered),
        "conversions": conversions,
        "conversion_rate": _ratio(conversions, delivered),
        "conversions_per_response": _ratio(conversions, responses),
        "opt_outs": int(row["opt_outs"]),
        "opt_out_rate": _ratio(int(row["opt_outs"]), delivered),
    }


def _customers(row: Mapping[str, Any], out: Mapping[str, Any]) -> dict[str, Any]:
    """METRICS.md "per-customer rates": distinct customers, not sends."""
    reached = int(row["reached_customers"])
    responding, converting = int(row["responding_customers"]), int(row["converting_customers"])
    return {
        "reached_customers": reached,
        "responding_customers": responding,
        "converting_customers": converting,
        "customer_response_rate": _ratio(responding, reached),
        "customer_conversion_rate": _ratio(converting, reached),
    }


def _money(row: Mapping[str, Any], out: Mapping[str, Any]) -> dict[str, Any]:
    unit_cost = Decimal(row["unit_cost"]).quantize(CENT)
    fixed_cost = Decimal(row["fixed_cost"]).quantize(CENT)
    cost = unit_cost + fixed_cost
    revenue = Decimal(row["revenue"]).quantize(CENT)
    return {
        "unit_cost": unit_cost,
        "fixed_cost": fixed_cost,
        "cost": cost,
        "cost_per_response": _money_ratio(cost, out["responses"]),
        "cost_per_acquisition": _money_ratio(cost, out["conversions"]),
        "revenue": revenue,
        "revenue_per_mailed": _money_ratio(revenue, out["delivered"]),
        "roi": _ratio(revenue - cost, cost),
    }


def _control(row: Mapping[str, Any], out: Mapping[str, Any]) -> dict[str, Any]:
    held_back, delivered = int(row["held_back"]), int(out["delivered"])
    control_revenue = Decimal(row["control_revenue"]).quantize(CENT)
    result: dict[str, Any] = {
        "control_held_back": held_back,
        "control_customers": int(row["control_customers"]),
        "control_shared": _shared_control(row),
        "control_responses": int(row["control_responders"]),
        "control_response_rate": _ratio(int(row["control_responders"]), held_back),
        "control_conversions": int(row["control_converters"]),
        "control_conversion_rate": _ratio(int(row["control_converters"]), held_back),
        "control_revenue": control_revenue,
        "control_revenue_per_held_back": _money_ratio(control_revenue, held_back),
    }
    for name in ("response", "conversion"):
        mailed, control = out[f"{name}_rate"], result[f"control_{name}_rate"]
        result |= _lift(name, mailed, control, delivered, held_back)
    result |= _incremental(out, control_revenue, held_back)
    return result


def _shared_control(row: Mapping[str, Any]) -> bool:
    """Customers held back in several of the group's campaigns: the control counts are
    hold-backs per campaign, not people (an ungrouped report over such campaigns)."""
    return int(row["control_campaigns"]) > 1 and int(row["control_customers"]) < int(
        row["held_back"]
    )


def _lift(name: str, p1: float | None, p2: float | None, n1: int, n2: int) -> dict[str, Any]:
    """Lift in percentage points with its 95 % interval (METRICS.md "lift")."""
    if p1 is None or p2 is None:
        return {f"{name}_lift_pp": None, f"{name}_lift_margin_pp": None, f"{name}_lift_ci_pp": None}
    lift = 100 * (p1 - p2)
    margin = 100 * Z95 * math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    return {
        f"{name}_lift_pp": lift,
        f"{name}_lift_margin_pp": margin,
        f"{name}_lift_ci_pp": (lift - margin, lift + margin),
    }


def _incremental(
    out: Mapping[str, Any], control_revenue: Decimal, held_back: int
) -> dict[str, Any]:
    """(revenue / delivered - control revenue / held back) x delivered; its ROI on cost.
    The per-mailed difference is returned too (computed exactly, rounded at the end)."""
    delivered = int(out["delivered"])
    if not delivered or not held_back:
        return {
            "incremental_revenue": None,
            "incremental_revenue_per_mailed": None,
            "incremental_roi": None,
        }
    per_mailed = out["revenue"] / delivered - control_revenue / held_back
    incremental = (per_mailed * delivered).quantize(CENT)
    return {
        "incremental_revenue": incremental,
        "incremental_revenue_per_mailed": per_mailed.quantize(CENT),
        "incremental_roi": _ratio(incremental - out["cost"], out["cost"]),
    }


def _uncredited(row: Mapping[str, Any]) -> dict[str, Any]:
    """METRICS.md "crediting": what was recorded but not credited, by reason."""
    counts = {name: int(row[name]) for name in UNCREDITED}
    values = {
        f"uncredited_value_{reason}": Decimal(row[f"uncredited_value_{reason}"]).quantize(CENT)
        for reason in ("outside_window", "bounced")
    }
    return counts | values

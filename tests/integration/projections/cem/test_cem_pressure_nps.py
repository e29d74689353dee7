"""NPS by contact-pressure band (METRICS.md "CRM view", conversion by contact pressure:
bands 1, 2, 3, 4, 5+ — 3 and 4 apart — beside "NPS by pressure band from the cem view"; the
cem view's band is the customer's mailshots in the 30 days up to the reply, 0 included)."""

from __future__ import annotations

from projections.cem.queries import nps_by_pressure_band
from tests.integration.projections.cem.support import (
    T0,
    CemHarness,
    D,
    H,
    campaign,
    mailshot,
    reply,
)


def test_every_band_comes_in_order_with_3_and_4_apart(services):
    """A: 3 mailshots, promoter (NPS 10). B: 3 mailshots, detractor (2) -> band 3: n 2, NPS
    (1 - 1) / 2 = 0. C: 4 mailshots, passive (8) -> band 4: NPS 0, n 1. D: none, promoter ->
    band 0: NPS 100. Bands 1, 2 and 5+ have no replies: n 0, NPS None."""
    cem = CemHarness(services, page_size=5)
    sends = {"A": 3, "B": 3, "C": 4}
    cem.record(
        campaign(),
        *(
            mailshot(f"{who}{i}", who, at=T0 - i * D)
            for who, count in sends.items()
            for i in range(count)
        ),
        reply("ra", "A", at=T0 + H, nps=10),
        reply("rb", "B", at=T0 + H, nps=2),
        reply("rc", "C", at=T0 + H, nps=8),
        reply("rd", "D", at=T0 + H, nps=9),
    )
    rows = cem.query(nps_by_pressure_band, at=T0 + 5 * D)
    assert [(r["pressure_band"], r["n"], r["nps"]) for r in rows] == [
        ("0", 1, 100.0),
        ("1", 0, None),
        ("2", 0, None),
        ("3", 2, 0.0),
        ("4", 1, 0.0),
        ("5+", 0, None),
    ]
    assert all(r["too_few"] for r in rows)  # n < 30 everywhere

"""The registry: every view by name, and a refusal naming the views for anything else."""

from __future__ import annotations

import pytest

from projections.config import ViewConfig
from projections.registry import VIEW_NAMES, UnknownView, build_views, check_view_name


def test_the_registry_builds_the_four_views_in_their_order():
    views = build_views(ViewConfig())

    assert [view.name for view in views] == ["customer", "cost", "crm", "cem"]
    assert VIEW_NAMES == ("customer", "cost", "crm", "cem")


def test_a_subset_of_views_is_built_in_the_order_asked():
    assert [view.name for view in build_views(ViewConfig(), ["cem", "customer"])] == [
        "cem",
        "customer",
    ]


@pytest.mark.parametrize("name", ["", "Customer", "costs", "projections.cost"])
def test_an_unknown_view_is_refused_with_the_names_of_the_views(name):
    with pytest.raises(UnknownView) as refused:
        check_view_name(name)

    assert str(refused.value) == f"unknown view {name!r}; views are customer, cost, crm, cem"

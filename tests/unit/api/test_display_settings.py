"""The centre's display settings (issue 17 point 6): a locale, a currency, a target."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from api.settings import Settings


def test_the_pages_write_british_english_and_pounds_by_default():
    settings = Settings()

    assert (settings.locale, settings.currency, settings.service_level_target) == (
        "en-GB",
        "GBP",
        0.8,
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [("locale", "english"), ("locale", "en_GB"), ("currency", "£"), ("currency", "gbp"),
     ("service_level_target", 80)],
)  # fmt: skip
def test_a_malformed_display_setting_is_refused(field, value):
    with pytest.raises(ValidationError, match=field):
        Settings(**{field: value})

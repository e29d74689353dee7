"""uvicorn's access lines (text logs) never carry a query string: searched values are in it."""

from __future__ import annotations

import logging

from api.web.logs import NoQueryStrings


def test_an_access_line_keeps_the_path_and_drops_the_query():
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/customers?phone=%2B447700900123&name=okafor", "1.1", 200),
        None,
    )
    assert NoQueryStrings().filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "GET /customers HTTP/1.1" 200'

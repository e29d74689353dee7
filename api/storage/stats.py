"""Counts over the stored log for the operators' metrics (``GET /metrics``)."""

from __future__ import annotations

from psycopg_pool import ConnectionPool

__all__ = ["facts_by_topic_after"]


def facts_by_topic_after(pool: ConnectionPool, position: int) -> list[tuple[str, int, int]]:
    """(topic, facts, highest position) of the facts recorded after ``position``."""
    with pool.connection() as conn:
        rows = conn.execute(
            "SELECT topic, count(*), max(notification_id) FROM touchpoint_events "
            "WHERE notification_id > %s GROUP BY topic",
            (position,),
        ).fetchall()
    return [(str(topic), int(count), int(highest)) for topic, count, highest in rows]

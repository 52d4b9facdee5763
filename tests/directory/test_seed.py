"""The `seed` command (benchmarks' data): seeded users are in their groups as the list
filters them."""

import uuid

import asyncpg

from services.directory.db.seed import seed


async def test_seeded_users_carry_the_groups_they_were_put_in(
    directory_db: str, directory_sql: asyncpg.Pool
) -> None:
    slug = f"seeded-{uuid.uuid4().hex[:8]}"
    assert await seed(directory_db, slug, 200) == 200
    rows = await directory_sql.fetch(
        "SELECT u.group_ids,"
        " coalesce(array_agg(l.group_id ORDER BY l.group_id)"
        "   FILTER (WHERE l.group_id IS NOT NULL), '{}') AS linked"
        " FROM users u JOIN tenants t ON t.id = u.tenant_id"
        " LEFT JOIN user_groups l ON l.tenant_id = u.tenant_id AND l.user_id = u.id"
        " WHERE t.slug = $1 GROUP BY u.tenant_id, u.id, u.group_ids",
        slug,
    )
    assert len(rows) == 200
    assert sum(1 for r in rows if r["linked"]) > 100  # most users are in a group
    assert all(sorted(r["group_ids"]) == list(r["linked"]) for r in rows)

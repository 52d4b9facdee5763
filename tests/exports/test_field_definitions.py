"""The tenants' custom fields, kept from the directory's `custom_field.*` definitions: a field
nobody has a value for yet can be filtered on (no user matches), an unknown or deleted one
is refused, and a late or repeated definition changes nothing (newest version wins)."""

import uuid
from typing import Any

from shared.contracts.custom_fields import CustomFieldDefined, FieldType
from tests.exports.conftest import Population
from tests.support.exports import ExportsStack, export_and_wait, read_csv, until


def _field(tenant_id: uuid.UUID, version: int, **changes: Any) -> CustomFieldDefined:
    values: dict[str, Any] = {
        "id": uuid.UUID(int=1),
        "tenant_id": tenant_id,
        "key": "badge",
        "label": "Badge",
        "type": FieldType.CHOICE,
        "choices": ("Or", "Argent"),
        "position": 0,
        "version": version,
        **changes,
    }
    return CustomFieldDefined(**values)


async def _known(stack: ExportsStack, tenant_id: uuid.UUID) -> list[tuple[str, str, int, bool]]:
    rows = await stack.sql.fetch(
        "SELECT key, label, version, deleted FROM export_fields WHERE tenant_id = $1 ORDER BY key",
        tenant_id,
    )
    return [(r["key"], r["label"], r["version"], r["deleted"]) for r in rows]


async def test_a_field_nobody_has_a_value_for_filters_to_an_empty_file(
    population: Population,
) -> None:
    tenant, stack, events = population.tenant_id, population.stack, population.events
    await population.add([population.make.user(first_name="Léa")])
    await events.publish("custom_field.defined", tenant, _field(tenant, 5), subject="badge")
    await until(lambda: _known(stack, tenant), lambda f: f == [("badge", "Badge", 5, False)])

    async with stack.admin(tenant, population.admin_id) as admin:
        job = await export_and_wait(admin, {"format": "csv", "filters": {"field.badge": "Or"}})
        assert job["state"] == "done", job
        assert job["row_count"] == 0
        header, *rows = read_csv((await admin.get(f"/api/v1/exports/{job['id']}/file")).content)
        assert header[-1] == "Badge"
        assert rows == []
        not_a_choice = await admin.post(
            "/api/v1/exports", json={"format": "csv", "filters": {"field.badge": "Plomb"}}
        )
        assert not_a_choice.status_code == 422
        assert "Or, Argent" in not_a_choice.text
        unknown = await admin.post(
            "/api/v1/exports", json={"format": "csv", "filters": {"field.nope": "x"}}
        )
        assert unknown.status_code == 422
        assert "field.nope" in unknown.text


async def test_newest_definition_wins_and_a_deleted_field_is_refused(
    population: Population,
) -> None:
    tenant, stack, events = population.tenant_id, population.stack, population.events
    renamed = _field(tenant, 7, label="Insigne")
    await events.publish("custom_field.changed", tenant, renamed, subject="badge")
    await events.publish("custom_field.defined", tenant, _field(tenant, 5), subject="badge")  # late
    await events.publish("custom_field.changed", tenant, renamed, subject="badge")  # twice
    await events.publish("custom_field.deleted", tenant, _field(tenant, 9), subject="badge")
    # A snapshot naming the field from before its deletion does not bring it back.
    await population.add([population.make.user(fields=[("badge", "choice", "Or")])])
    await until(lambda: _known(stack, tenant), lambda f: f == [("badge", "Badge", 9, True)])
    async with stack.admin(tenant, population.admin_id) as admin:
        gone = await admin.post(
            "/api/v1/exports", json={"format": "csv", "filters": {"field.badge": "Or"}}
        )
        assert gone.status_code == 422
        assert "field.badge" in gone.text

        # Defined again under the same key (a newer version): known again.
        again = _field(tenant, 12, id=uuid.UUID(int=2), type=FieldType.TEXT, choices=())
        await events.publish("custom_field.defined", tenant, again, subject="badge")
        await until(lambda: _known(stack, tenant), lambda f: f == [("badge", "Badge", 12, False)])
        job = await export_and_wait(admin, {"format": "csv", "filters": {"field.badge": "Or"}})
        assert job["state"] == "done", job

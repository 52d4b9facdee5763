"""`seed`: fill a tenant with realistic fake users, fast enough for a million (COPY).

Seeded users get no `user.*` events: seeding is for development and benchmarks.
"""

import json
import random
import unicodedata
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from services.directory.domain.addresses import address_skeleton
from shared.db import asyncpg_dsn

FIRST_NAMES = (
    "Marie",
    "Jean",
    "Pierre",
    "Louise",
    "Julie",
    "Nathalie",
    "Sylvie",
    "Isabelle",
    "Chantal",
    "Martin",
    "Michel",
    "Luc",
    "François",
    "Stéphane",
    "Sébastien",
    "Mathieu",
    "Alexandre",
    "Catherine",
    "Geneviève",
    "Mélanie",
    "Émilie",
    "Sophie",
    "Olivier",
    "Gabriel",
    "Félix",
    "Léa",
    "Chloé",
    "Camille",
    "Zoé",
    "Jacob",
    "Thomas",
    "William",
    "Noah",
    "Liam",
    "Emma",
    "Alice",
    "Florence",
    "Rosalie",
    "Béatrice",
    "Raphaël",
    "Samuel",
    "Antoine",
    "Étienne",
    "Maxime",
    "Vincent",
    "Valérie",
    "Josée",
    "Hélène",
    "Annie",
    "Caroline",
    "Marc-André",
    "Jean-François",
    "Marie-Ève",
    "Anne-Marie",
    "Éric",
    "Patrick",
    "Daniel",
    "Amélie",
    "Audrey",
    "Justine",
    "Laurence",
    "Charlotte",
    "Juliette",
    "Élodie",
    "Maude",
    "Simon",
    "Philippe",
    "Guillaume",
)
LAST_NAMES = (
    "Tremblay",
    "Gagnon",
    "Roy",
    "Côté",
    "Bouchard",
    "Gauthier",
    "Morin",
    "Lavoie",
    "Fortin",
    "Gagné",
    "Ouellet",
    "Pelletier",
    "Bélanger",
    "Lévesque",
    "Bergeron",
    "Leblanc",
    "Paquette",
    "Girard",
    "Simard",
    "Boucher",
    "Caron",
    "Beaulieu",
    "Cloutier",
    "Dubé",
    "Poirier",
    "Fournier",
    "Lapointe",
    "Leclerc",
    "Lefebvre",
    "Poulin",
    "Thibault",
    "St-Pierre",
    "Nadeau",
    "Martin",
    "Landry",
    "Martel",
    "Bédard",
    "Grenier",
    "Lessard",
    "Bernier",
    "Richard",
    "Michaud",
    "Hébert",
    "Desjardins",
    "Couture",
    "Turcotte",
    "Lachance",
    "Parent",
    "Blais",
    "Gosselin",
    "Savard",
    "Proulx",
    "Beaudoin",
    "Demers",
    "Perron",
    "Boudreau",
    "Mercier",
    "Vachon",
    "Laflamme",
    "Chabot",
    "Lemieux",
    "Allard",
    "Champagne",
    "Lalonde",
    "Dion",
    "Labelle",
    "Smith",
    "Wilson",
)
DOMAINS = ("exemple.ca", "courriel.qc.ca", "example.com", "ecole.qc.ca", "entreprise.ca")
GROUPS = (
    "Montréal",
    "Québec",
    "Laval",
    "Gatineau",
    "Sherbrooke",
    "Trois-Rivières",
    "Saguenay",
    "Ventes",
    "Marketing",
    "Finances",
    "Ressources humaines",
    "TI",
    "Opérations",
    "Service client",
    "Direction",
    "Formateurs",
    "Nouveaux employés",
    "Gestionnaires",
    "Stagiaires",
    "Partenaires",
    "Sécurité",
    "Conformité",
    "Projet Alpha",
    "Projet Bêta",
    "Cohorte 2024",
    "Cohorte 2025",
    "Cohorte 2026",
    "Temps partiel",
    "Temps plein",
    "Bénévoles",
    "Comité santé",
    "Laboratoire",
    "Recherche",
    "Production",
    "Logistique",
    "Achats",
    "Juridique",
    "Communication",
    "Design",
    "Données",
)
DEPARTMENTS = ("Ventes", "Marketing", "Finances", "TI", "Opérations", "RH")
CHUNK = 50_000

USER_COLUMNS = (
    "tenant_id",
    "id",
    "email",
    "email_normalized",
    "email_skeleton",
    "first_name",
    "last_name",
    "phone",
    "locale",
    "role",
    "status",
    "custom_fields",
    "invitation_state",
    "invitation_first_sent_at",
    "invitation_last_sent_at",
    "invitation_expires_at",
    "invitation_send_count",
    "email_state",
    "email_bounce_kind",
    "email_state_reason",
    "email_state_changed_at",
    "activated_at",
    "last_login_at",
    "created_at",
    "updated_at",
    "version",
    "group_ids",
)


def ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum() or c == "-")


SLUGS = {name: ascii_slug(name) for name in (*FIRST_NAMES, *LAST_NAMES)}
LOADED_TABLES = ("users", "user_groups", "user_name_pieces")
Rows = list[tuple[object, ...]]
Chunk = tuple[Rows, Rows]  # users, and their group links


async def seed(database_url: str, tenant_slug: str, count: int, seed_value: int = 42) -> int:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        tenant_id = await _tenant(connection, tenant_slug)
        groups = await _groups(connection, tenant_id)
        fields = await _fields(connection, tenant_id)
        rng = random.Random(seed_value)
        start = await connection.fetchval(
            "SELECT count(*) FROM users WHERE tenant_id = $1", tenant_id
        )
        async with connection.transaction():
            # Filling at least doubles the tables: building their indexes and checking their
            # foreign keys once at the end is much faster than row by row (PostgreSQL's
            # "Populating a Database"); the transaction hides the tables meanwhile.
            rebuilt = await _set_aside(connection) if count >= await _rows(connection) else []
            # users.group_ids is written with the users; the links' triggers would rewrite
            # every user once more, and the users' own (0008) would empty it: their links
            # come after them here.
            await connection.execute("ALTER TABLE user_groups DISABLE TRIGGER USER")
            await connection.execute("ALTER TABLE users DISABLE TRIGGER USER")
            for offset in range(0, count, CHUNK):
                size = min(CHUNK, count - offset)
                users, links = _chunk(rng, tenant_id, start + offset, size, groups, fields)
                await connection.copy_records_to_table("users", records=users, columns=USER_COLUMNS)
                await connection.copy_records_to_table(
                    "user_groups", records=links, columns=("tenant_id", "user_id", "group_id")
                )
            await connection.execute("ALTER TABLE user_groups ENABLE TRIGGER USER")
            await connection.execute("ALTER TABLE users ENABLE TRIGGER USER")
            # What the users' insert trigger writes (migrations 0011, 0013), for the rows
            # COPYed.
            await connection.execute(
                "INSERT INTO user_name_pieces"
                " (tenant_id, user_id, sort_name, search_text, email_normalized)"
                " SELECT tenant_id, id, sort_name, search_text, email_normalized FROM users"
                " WHERE tenant_id = $1 ON CONFLICT DO NOTHING",
                tenant_id,
            )
            for definition in rebuilt:
                await connection.execute(definition)
        # Statistics for the planner, and the visibility map for index-only scans.
        await connection.execute(
            "VACUUM (ANALYZE) users, user_groups, user_name_pieces, groups, custom_fields"
        )
        return int(count)
    finally:
        await connection.close()


async def _rows(connection: asyncpg.Connection) -> int:
    return int(await connection.fetchval("SELECT count(*) FROM users"))


async def _set_aside(connection: asyncpg.Connection) -> list[str]:
    """Drop the loaded tables' secondary indexes and foreign keys; return the statements
    that make them again."""
    await connection.execute("SET LOCAL maintenance_work_mem = '1GB'")
    indexes = await connection.fetch(
        "SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition"
        " FROM pg_index i WHERE i.indrelid = ANY($1::regclass[]) AND NOT i.indisprimary"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
        list(LOADED_TABLES),
    )
    foreign_keys = await connection.fetch(
        "SELECT conrelid::regclass::text AS table_name, conname AS name,"
        " pg_get_constraintdef(oid) AS definition"
        " FROM pg_constraint WHERE conrelid = ANY($1::regclass[]) AND contype = 'f'",
        list(LOADED_TABLES),
    )
    for index in indexes:
        await connection.execute(f"DROP INDEX {index['name']}")
    for key in foreign_keys:
        await connection.execute(f'ALTER TABLE {key["table_name"]} DROP CONSTRAINT "{key["name"]}"')
    return [
        *(index["definition"] for index in indexes),
        *(
            f'ALTER TABLE {key["table_name"]} ADD CONSTRAINT "{key["name"]}" {key["definition"]}'
            for key in foreign_keys
        ),
    ]


async def _tenant(connection: asyncpg.Connection, slug: str) -> uuid.UUID:
    found = await connection.fetchval("SELECT id FROM tenants WHERE slug = $1", slug)
    if found:
        return uuid.UUID(str(found))
    tenant_id = uuid.uuid4()
    await connection.execute(
        "INSERT INTO tenants (id, slug, name, default_locale) VALUES ($1, $2, $3, 'fr')",
        tenant_id,
        slug,
        slug.replace("-", " ").title(),
    )
    return tenant_id


async def _groups(connection: asyncpg.Connection, tenant_id: uuid.UUID) -> list[uuid.UUID]:
    for name in GROUPS:
        await connection.execute(
            "INSERT INTO groups (tenant_id, id, name) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            tenant_id,
            uuid.uuid4(),
            name,
        )
    rows = await connection.fetch("SELECT id FROM groups WHERE tenant_id = $1", tenant_id)
    return [row["id"] for row in rows]


async def _fields(connection: asyncpg.Connection, tenant_id: uuid.UUID) -> dict[str, str]:
    definitions: tuple[tuple[str, str, str, list[str]], ...] = (
        ("department", "Service", "choice", list(DEPARTMENTS)),
        ("employee_number", "Numéro d'employé", "text", []),
        ("hire_date", "Date d'embauche", "date", []),
        ("full_time", "Temps plein", "yes_no", []),
    )
    for key, label, kind, choices in definitions:
        await connection.execute(
            "INSERT INTO custom_fields (tenant_id, id, key, label, type, choices)"
            " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            tenant_id,
            uuid.uuid4(),
            key,
            label,
            kind,
            choices,
        )
    rows = await connection.fetch(
        "SELECT key, id FROM custom_fields WHERE tenant_id = $1", tenant_id
    )
    return {row["key"]: str(row["id"]) for row in rows}


def _chunk(
    rng: random.Random,
    tenant_id: uuid.UUID,
    first: int,
    size: int,
    groups: list[uuid.UUID],
    fields: dict[str, str],
) -> Chunk:
    now = datetime.now(UTC)
    users: Rows = []
    links: Rows = []
    for number in range(first, first + size):
        user = _user(rng, tenant_id, fields, number, now)
        memberships = min(len(groups), rng.choice((1, 2, 3, 3, 4, 5)))
        joined = sorted(rng.sample(groups, k=memberships))
        users.append((*user, joined))  # group_ids: what the links' trigger would write
        links.extend((tenant_id, user[1], group) for group in joined)
    return users, links


def _user(
    rng: random.Random, tenant_id: uuid.UUID, fields: dict[str, str], number: int, now: datetime
) -> tuple[object, ...]:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    email = f"{SLUGS[first]}.{SLUGS[last]}.{number}@{rng.choice(DOMAINS)}"
    created = now - timedelta(days=rng.uniform(0, 1100))
    status = rng.choices(("active", "invited", "deactivated"), (80, 15, 5))[0]
    invited = status == "invited"
    sent = created + timedelta(minutes=1) if rng.random() > 0.03 else None
    invitation_state = (
        "accepted" if not invited else ("sent" if sent else rng.choice(("failed", "pending")))
    )
    bounced = rng.random() < 0.02
    last_login = None if invited or rng.random() < 0.1 else created + (now - created) * rng.random()
    values = {
        fields["department"]: rng.choice(DEPARTMENTS),
        fields["employee_number"]: f"E{number:07d}",
        fields["hire_date"]: (created - timedelta(days=rng.randint(0, 3000))).date().isoformat(),
        fields["full_time"]: rng.random() < 0.7,
    }
    return (
        tenant_id,
        uuid.uuid4(),
        email,
        email,
        address_skeleton(email),
        first,
        last,
        f"+1 514 555 {number % 10000:04d}" if rng.random() < 0.6 else None,
        rng.choice(("fr", "fr", "fr", "en")),
        "admin" if rng.random() < 0.001 else "learner",
        status,
        json.dumps(values),
        invitation_state,
        sent,
        sent,
        sent + timedelta(days=7) if sent else None,
        1 if sent else 0,
        "bounced" if bounced else "ok",
        "hard" if bounced else None,
        "550 5.1.1 mailbox unavailable" if bounced else None,
        sent if bounced else None,
        None if invited else created + timedelta(hours=2),
        last_login,
        created,
        created,
        1,
    )

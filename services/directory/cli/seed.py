"""`seed`: fill a tenant with realistic fake users, fast enough for a million (COPY).

Seeded users get no `user.*` events: seeding is for development and benchmarks.
"""

import json
import random
import unicodedata
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

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
)


def ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum() or c == "-")


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
        for offset in range(0, count, CHUNK):
            size = min(CHUNK, count - offset)
            users, links = _chunk(rng, tenant_id, start + offset, size, groups, fields)
            async with connection.transaction():
                await connection.copy_records_to_table("users", records=users, columns=USER_COLUMNS)
                await connection.copy_records_to_table(
                    "user_groups", records=links, columns=("tenant_id", "user_id", "group_id")
                )
        await connection.execute("ANALYZE users")
        await connection.execute("ANALYZE user_groups")
        return int(count)
    finally:
        await connection.close()


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
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    now = datetime.now(UTC)
    users: list[tuple[object, ...]] = []
    links: list[tuple[object, ...]] = []
    for number in range(first, first + size):
        user = _user(rng, tenant_id, fields, number, now)
        users.append(user)
        memberships = min(len(groups), rng.choice((1, 2, 3, 3, 4, 5)))
        links.extend((tenant_id, user[1], group) for group in rng.sample(groups, k=memberships))
    return users, links


def _user(
    rng: random.Random, tenant_id: uuid.UUID, fields: dict[str, str], number: int, now: datetime
) -> tuple[object, ...]:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    email = f"{ascii_slug(first)}.{ascii_slug(last)}.{number}@{rng.choice(DOMAINS)}"
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

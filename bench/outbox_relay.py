"""P7: the outbox relay's throughput, next to raw aio-pika publishing the same messages
in the same run (pipelined publisher confirms, persistent, into a quorum queue), both on
uvloop as in the services.

    uv run python bench/outbox_relay.py [--events 20000]
"""

import argparse
import asyncio
import json
import subprocess
import sys
import time
import uuid

import aio_pika
import asyncpg
import uvloop

from shared.db import Database
from shared.messaging.outbox import OutboxRelay
from shared.messaging.publisher import EventPublisher

POSTGRES = "postgresql://postgres@127.0.0.1:5432"
DATABASE = "lms_bench_outbox"
VHOST = "lms-bench-outbox"
QUEUE = "bench.outbox"
TARGET = 3000
BATCH = 500


def _setup() -> None:
    subprocess.run(["rabbitmqctl", "add_vhost", VHOST], capture_output=True, check=False)
    subprocess.run(
        ["rabbitmqctl", "set_permissions", "-p", VHOST, "guest", ".*", ".*", ".*"],
        capture_output=True,
        check=True,
    )
    subprocess.run(
        [sys.executable, "-m", "services.directory", "migrate"],
        env={"DATABASE_URL": f"{POSTGRES}/{DATABASE}", "PATH": ""},
        check=True,
        capture_output=True,
    )


def _body(i: int) -> str:
    snapshot = {
        "id": str(uuid.uuid4()),
        "email": f"user{i}@example.com",
        "first_name": "Marie",
        "last_name": "Tremblay",
        "groups": [{"id": str(uuid.uuid4()), "name": "Ventes"}],
        "custom_fields": [{"key": "department", "value": "TI"}],
        "version": 1,
        "padding": "x" * 900,
    }
    return json.dumps(
        {
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "type": "user.updated",
            "source": "/bench",
            "time": "2026-01-01T00:00:00Z",
            "data": snapshot,
        }
    )


async def _queue(
    amqp: str,
) -> tuple[aio_pika.abc.AbstractRobustConnection, aio_pika.abc.AbstractQueue]:
    connection = await aio_pika.connect_robust(amqp)
    channel = await connection.channel()
    exchange = await channel.declare_exchange(
        "lms.events", aio_pika.ExchangeType.TOPIC, durable=True
    )
    queue = await channel.declare_queue(QUEUE, durable=True, arguments={"x-queue-type": "quorum"})
    await queue.bind(exchange, "user.#")
    await queue.purge()
    return connection, queue


async def _fill_outbox(bodies: list[str]) -> None:
    connection = await asyncpg.connect(f"{POSTGRES}/{DATABASE}")
    try:
        await connection.execute("TRUNCATE outbox")
        await connection.copy_records_to_table(
            "outbox",
            columns=("id", "routing_key", "body"),
            records=[(uuid.uuid4(), "user.updated", body) for body in bodies],
        )
    finally:
        await connection.close()


async def measure_relay(amqp: str, bodies: list[str]) -> float:
    await _fill_outbox(bodies)
    db = Database(f"postgresql+asyncpg://postgres@127.0.0.1:5432/{DATABASE}")
    publisher = EventPublisher(amqp)
    await publisher.connect()
    relay = OutboxRelay(db, publisher, service="bench", batch_size=BATCH)
    started = time.perf_counter()
    published = 0
    while (count := await relay.relay_once()) > 0:
        published += count
    elapsed = time.perf_counter() - started
    await publisher.stop()
    await db.dispose()
    assert published == len(bodies), (published, len(bodies))
    return len(bodies) / elapsed


async def measure_raw(amqp: str, bodies: list[str]) -> float:
    connection = await aio_pika.connect(amqp)
    channel = await connection.channel(publisher_confirms=True)
    exchange = await channel.get_exchange("lms.events")
    started = time.perf_counter()
    for start in range(0, len(bodies), BATCH):
        await asyncio.gather(
            *(
                exchange.publish(
                    aio_pika.Message(body.encode(), delivery_mode=2, message_id=str(uuid.uuid4())),
                    routing_key="user.updated",
                )
                for body in bodies[start : start + BATCH]
            )
        )
    elapsed = time.perf_counter() - started
    await connection.close()
    return len(bodies) / elapsed


async def main(events: int, rounds: int) -> None:
    _setup()
    amqp = f"amqp://guest:guest@127.0.0.1:5672/{VHOST}"
    connection, queue = await _queue(amqp)
    bodies = [_body(i) for i in range(events)]
    relay, raw = [], []
    for _ in range(rounds):
        raw.append(await measure_raw(amqp, bodies))
        await queue.purge()
        relay.append(await measure_relay(amqp, bodies))
        await queue.purge()
    await connection.close()
    best_relay, best_raw = sorted(relay)[len(relay) // 2], sorted(raw)[len(raw) // 2]
    print(f"{events} events of {len(bodies[0])} bytes, median of {rounds} rounds")
    print(f"{'raw aio-pika, pipelined confirms':<40} {best_raw:>8.0f} events/s")
    print(f"{'outbox relay (claim, publish, mark)':<40} {best_relay:>8.0f} events/s")
    print(f"{'relay / raw':<40} {best_relay / best_raw:>8.2f}")
    print(f"{'target P7 (>= 3000/s)':<40} {'met' if best_relay >= TARGET else 'NOT met':>8}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    # The services run on uvloop (uvicorn's loop="uvloop"): so does the benchmark, both sides.
    uvloop.run(main(arguments.events, arguments.rounds))

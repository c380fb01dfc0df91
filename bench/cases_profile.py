"""In-process profile of ``POST /api/v1/cases/`` (the submission path): statements
per request and CPU per request, with ``django.test.Client`` and a bearer token.

    .venv/bin/python bench/cases_profile.py                 # set up, measure, drop
    .venv/bin/python bench/cases_profile.py --keep          # keep the database
    .venv/bin/python bench/cases_profile.py --reuse --keep  # measure again
    .venv/bin/python bench/cases_profile.py --reuse --cprofile 30

Same world as bench/cases_load.py (small): a few departments with listings open
online, verified citizens with API tokens. Prints the statements of one request
(after a warm-up) and the mean process CPU per request over ``--requests``.
Nothing is asserted about durations.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import random
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cases_seed as seed  # noqa: E402

DEFAULT_DB = "zhengwu_bench_cases_profile"
WORLD = seed.ROOT / "var" / "bench-cases-profile-world.json"


def set_up(args) -> dict:
    if not args.reuse:
        seed.create_database(args.db)
    seed.django_setup(args.db)
    if args.reuse:
        return json.loads(WORLD.read_text())
    seed.migrate()
    seed.seed_calendar()
    orgs = seed.departments(3)
    listings = seed.open_listings(orgs, 3)
    people = seed.citizens(10)
    tokens = seed.api_tokens([p.user for p in people])
    world = {"tokens": tokens, "listings": listings}
    WORLD.parent.mkdir(exist_ok=True)
    WORLD.write_text(json.dumps(world))
    return world


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--cprofile", type=int, default=0, help="top N functions")
    parser.add_argument("--sql", action="store_true", help="print the statements")
    parser.add_argument(
        "--respond-async",
        action="store_true",
        help="the asynchronous path (Prefer: respond-async): 202, no case made here",
    )
    args = parser.parse_args()
    world = set_up(args)
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from cases_load import _body

    rng = random.Random(1)
    client = Client()

    def post(n: int):
        token = rng.choice(world["tokens"])
        response = client.post(
            "/api/v1/cases/",
            data=_body(rng.choice(world["listings"]), n),
            content_type="application/json",
            headers={
                "Authorization": f"Bearer {token}",
                "Idempotency-Key": f"profile-{uuid.uuid4().hex}",
                "Accept": "application/json",
                **({"Prefer": "respond-async"} if args.respond_async else {}),
            },
        )
        expected = 202 if args.respond_async else 201
        assert response.status_code == expected, (
            response.status_code,
            response.content,
        )
        return response

    try:
        for n in range(10):  # warm-up: imports, caches
            post(n)
        with CaptureQueriesContext(connection) as queries:
            post(100)
        print(f"statements per submission: {len(queries)}")
        if args.sql:
            for q in queries.captured_queries:
                print("  ", q["sql"][:220])
        profile = cProfile.Profile(time.process_time) if args.cprofile else None
        started_cpu, started = time.process_time(), time.perf_counter()
        if profile:
            profile.enable()
        for n in range(args.requests):
            post(1000 + n)
        if profile:
            profile.disable()
        cpu = time.process_time() - started_cpu
        wall = time.perf_counter() - started
        print(
            f"{args.requests} submissions: process CPU {1000 * cpu / args.requests:.1f}"
            f" ms each, wall {1000 * wall / args.requests:.1f} ms each "
            f"({seed.machine()})"
        )
        if profile:
            pstats.Stats(profile).sort_stats(
                os.environ.get("BENCH_SORT", "cumulative")
            ).print_stats(args.cprofile)
    finally:
        connection.close()
        if not args.keep:
            seed.drop_database(args.db)


if __name__ == "__main__":
    main()

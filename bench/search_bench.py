"""Catalogue search benchmark: p50/p95 of listing search on a large synthetic catalogue.

    ZHENGWU_DATABASE_URL=postgres://postgres@127.0.0.1:5432/zhengwu_bench \
        .venv/bin/python bench/search_bench.py --entries 200000 --base-items 5000
    .venv/bin/python bench/search_bench.py --entries 200000   # SQLite: var/bench.sqlite3

The database is migrated and filled once (generate_catalog); later runs reuse it. Each
query class is timed through the selector the API and pages use (search_versions, first
page of 20) and through the HTTP API in-process (Django test client, JSON rendered).
Nothing here asserts a duration: the numbers go to bench/RESULTS.md.
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--base-items", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=200, help="queries per class")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengwu.conf.ci")
    os.environ.setdefault(
        "ZHENGWU_DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}"
    )
    (ROOT / "var").mkdir(exist_ok=True)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from zhengwu.catalog.models import BaseItem, Listing
    from zhengwu.catalog.selectors import SearchFilters, search_versions

    call_command("migrate", verbosity=0)
    existing = Listing.objects.count()
    if existing < args.entries:
        call_command("load_reference_data", verbosity=0)
        started = time.perf_counter()
        call_command(
            "generate_catalog",
            entries=args.entries - existing,
            base_items=args.base_items,
            append=existing > 0,
        )
        print(f"generated in {time.perf_counter() - started:.0f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    rng = random.Random(args.seed)
    names = list(BaseItem.objects.values_list("name", "search_text", "code"))
    codes = list(Listing.objects.values_list("code", flat=True)[:5000])

    def one_char() -> str:
        name = rng.choice(names)[0]
        return rng.choice(name)

    def two_chars() -> str:
        name = rng.choice(names)[0]
        start = rng.randrange(0, max(1, len(name) - 1))
        return name[start : start + 2]

    def long_text() -> str:
        name = rng.choice(names)[0]
        start = rng.randrange(0, max(1, len(name) - 5))
        return name[start : start + 6]

    def initials() -> str:
        parts = rng.choice(names)[1].split("|")
        candidates = [p for p in parts if p.isascii() and p.isalpha()]
        short = min(candidates, key=len)
        return short[: max(2, min(len(short), 4))]

    def full_pinyin() -> str:
        parts = rng.choice(names)[1].split("|")
        longest = max((p for p in parts if p.isascii() and p.isalpha()), key=len)
        return longest[: min(len(longest), 10)]

    def basic_code() -> str:
        return rng.choice(names)[2]

    def implementation_code() -> str:
        return rng.choice(codes)

    classes = {
        "1-char": one_char,
        "2-char": two_chars,
        "long (6 chars)": long_text,
        "pinyin initials": initials,
        "full pinyin": full_pinyin,
        "basic code": basic_code,
        "implementation code": implementation_code,
    }
    client = Client()
    print(
        f"\n{connection.vendor}: {Listing.objects.count()} listings, "
        f"{len(names)} base items, {args.rounds} queries per class\n"
    )
    print(
        "| query class | selector p50 ms | selector p95 ms | API p50 ms | API p95 ms | hits/page |"
    )
    print("|---|---|---|---|---|---|")
    for label, make in classes.items():
        queries = [make() for _ in range(args.rounds)]
        for query in queries[:5]:  # warm caches
            search_versions(SearchFilters(query=query), limit=20)
        selector_ms, api_ms, hits = [], [], []
        for query in queries:
            started = time.perf_counter()
            page, _ = search_versions(SearchFilters(query=query), limit=20)
            selector_ms.append((time.perf_counter() - started) * 1000)
            hits.append(len(page))
            started = time.perf_counter()
            response = client.get("/api/v1/catalog/listings", {"q": query, "limit": 20})
            api_ms.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"API answered {response.status_code} for {query!r}")
        print(
            f"| {label} | {statistics.median(selector_ms):.1f} | "
            f"{percentile(selector_ms, 0.95):.1f} | {statistics.median(api_ms):.1f} | "
            f"{percentile(api_ms, 0.95):.1f} | {statistics.mean(hits):.1f} |"
        )


if __name__ == "__main__":
    main()

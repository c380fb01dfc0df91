"""Case submissions per second against a running server on PostgreSQL.

    .venv/bin/python bench/cases_load.py                       # default configurations
    .venv/bin/python bench/cases_load.py --configs sync:4 gthread:3x4 --duration 30

1. Set-up (this process, test settings for fast password hashing): a fresh UTF-8
   database (C.UTF-8 collation and ctype, as .ci/run makes), migrations, the 2026
   calendar, departments with published listings open online (no necessary material,
   a handling configuration with a small form schema), verified citizens with API
   access tokens issued to one registered client.
2. For each configuration: gunicorn with production settings (``zhengwu.conf.production``,
   DEBUG off, real keys, SSL redirect off because the load comes over plain HTTP on
   127.0.0.1) on 127.0.0.1, then a separate driver process (this file, ``drive``) posts
   ``POST /api/v1/cases/`` for a fixed time from N threads, each on its own keep-alive
   connection, every request with its own ``Idempotency-Key``, a random citizen and a
   random listing; then replays a sample of the keys (same body, same key: 200, same
   case). Afterwards the database must hold exactly one submitted case per 201, with
   unique numbers, and no draft left behind.
3. The database is dropped at the end (``--keep`` keeps it).

Nothing is asserted about durations: the numbers go to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cases_seed as seed  # noqa: E402

ROOT = seed.ROOT
VAR = ROOT / "var"
DEFAULT_DB = "zhengwu_bench_cases_load"
PATH = "/api/v1/cases/"
WORKER_APP = "bench-task-worker"  # PGAPPNAME of the task workers' connections


# --- the driver (a separate process: no Django here) -------------------------------


def _body(listing: str, n: int) -> bytes:
    return json.dumps(
        {
            "listing_code": listing,
            "form_data": {
                "contact_name": "压测联系人",
                "contact_mobile": f"139{n % 100_000_000:08d}",
                "purpose": "办理营业执照变更登记",
                "copies": 1 + n % 3,
            },
        },
        ensure_ascii=False,
    ).encode()


def _post(
    conn: http.client.HTTPConnection,
    token: str,
    key: str,
    body: bytes,
    respond_async: bool = False,
):
    headers = {
        "Authorization": f"Bearer {token}",
        "Idempotency-Key": key,
        "Content-Type": "application/json",
        "Accept": "application/json",
    }
    if respond_async:
        headers["Prefer"] = "respond-async"
    conn.request("POST", PATH, body=body, headers=headers)
    response = conn.getresponse()
    payload = response.read()
    return response.status, payload


def drive(args: argparse.Namespace) -> None:
    """Post applications for ``duration`` seconds from ``threads`` threads; print one
    JSON line of results."""
    world = json.loads(Path(args.world).read_text())
    tokens, listings = world["tokens"], world["listings"]
    lock = threading.Lock()
    created: list[tuple[str, str, bytes, int]] = []  # token, key, body, case id
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    start_gate = threading.Event()
    stop_at = [0.0]

    def worker(index: int) -> None:
        rng = random.Random(index)
        conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
        mine_lat: list[float] = []
        mine_created = []
        mine_status: dict[str, int] = {}
        n = index * 10_000_000
        start_gate.wait()
        while time.perf_counter() < stop_at[0]:
            n += 1
            token = rng.choice(tokens)
            key = f"bench-{uuid.uuid4().hex}"
            body = _body(rng.choice(listings), n)
            started = time.perf_counter()
            try:
                status, payload = _post(conn, token, key, body, args.respond_async)
            except (OSError, http.client.HTTPException) as error:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
                label = type(error).__name__
                mine_status[label] = mine_status.get(label, 0) + 1
                continue
            mine_lat.append((time.perf_counter() - started) * 1000)
            mine_status[str(status)] = mine_status.get(str(status), 0) + 1
            if status == 201:
                mine_created.append((token, key, body, json.loads(payload)["id"]))
            elif status == 202 and args.respond_async:
                mine_created.append((token, key, body, None))
            elif mine_status[str(status)] <= 2:
                sys.stderr.write(f"{status}: {payload[:300]!r}\n")
        conn.close()
        with lock:
            latencies.extend(mine_lat)
            created.extend(mine_created)
            for label, count in mine_status.items():
                statuses[label] = statuses.get(label, 0) + count

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.threads)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    stop_at[0] = began + args.duration
    start_gate.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began

    # the idempotent replay path: the same body with the same key again
    sample = random.Random(1).sample(created, min(len(created), args.replays))
    replay_lat: list[float] = []
    replay_bad = 0
    replay_status: dict[str, int] = {}
    chunks = [sample[i :: args.threads] for i in range(args.threads)]

    def replayer(chunk) -> None:
        nonlocal replay_bad
        conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
        mine, bad, seen = [], 0, {}
        for token, key, body, case_id in chunk:
            started = time.perf_counter()
            status, payload = _post(conn, token, key, body, args.respond_async)
            mine.append((time.perf_counter() - started) * 1000)
            seen[str(status)] = seen.get(str(status), 0) + 1
            # async: the intake was made into a case before the replays (200)
            if status != 200 or (
                case_id is not None and json.loads(payload)["id"] != case_id
            ):
                bad += 1
        conn.close()
        with lock:
            replay_lat.extend(mine)
            replay_bad += bad
            for label, count in seen.items():
                replay_status[label] = replay_status.get(label, 0) + count

    driver_cpu = time.process_time()
    # tell the orchestrator the timed part is over (it reads the server's CPU),
    # then wait for it before the replays
    print("main-done", flush=True)
    sys.stdin.readline()
    replay_began = time.perf_counter()
    replay_threads = [threading.Thread(target=replayer, args=(c,)) for c in chunks]
    for thread in replay_threads:
        thread.start()
    for thread in replay_threads:
        thread.join()
    replay_elapsed = time.perf_counter() - replay_began

    print(
        json.dumps(
            {
                "elapsed": elapsed,
                "created": len(created),
                "requests": len(latencies),
                "statuses": statuses,
                "per_second": len(created) / elapsed,
                "p50": statistics.median(latencies) if latencies else None,
                "p95": seed.percentile(latencies, 0.95),
                "p99": seed.percentile(latencies, 0.99),
                "max": max(latencies) if latencies else None,
                "replays": len(sample),
                "replay_statuses": replay_status,
                "replay_wrong": replay_bad,
                "replay_per_second": len(sample) / replay_elapsed
                if replay_elapsed
                else None,
                "replay_p50": statistics.median(replay_lat) if replay_lat else None,
                "replay_p95": seed.percentile(replay_lat, 0.95),
                "ids": [c[3] for c in created],
                "keys": [c[1] for c in created],
                "driver_cpu": driver_cpu,
            }
        )
    )


# --- the orchestrating process -----------------------------------------------------


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(parent: int) -> set[int]:
    """The processes whose parent is ``parent`` (the gunicorn workers)."""
    pids = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == parent:
                pids.add(int(entry.name))
    return pids


def server_cpu(server_pid: int, db: str) -> dict[int, float]:
    """CPU seconds so far of the gunicorn workers and of this database's
    PostgreSQL backends (the server side of a submission)."""
    pids = list(children(server_pid))
    backends = seed.psql(
        f"SELECT pid FROM pg_stat_activity WHERE datname = '{db}' "  # noqa: S608
        f"AND pid <> pg_backend_pid() AND application_name <> '{WORKER_APP}'"
    ).split()
    pids += [int(p) for p in backends]
    return {pid: _cpu_seconds(pid) for pid in pids}


def worker_cpu(workers: list, db: str) -> dict[int, float]:
    """CPU seconds so far of the task workers and their PostgreSQL backends."""
    pids = [w.pid for w in workers]
    backends = seed.psql(
        f"SELECT pid FROM pg_stat_activity WHERE datname = '{db}' "  # noqa: S608
        f"AND application_name = '{WORKER_APP}'"
    ).split()
    pids += [int(p) for p in backends]
    return {pid: _cpu_seconds(pid) for pid in pids}


def server_env(db: str, key_file: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(seed.BENCH_ENV)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "zhengwu.conf.production",
            "ZHENGWU_DATABASE_URL": seed.database_url(db),
            "ZHENGWU_OIDC_PRIVATE_KEY_FILE": str(key_file),
            "ZHENGWU_OIDC_ISSUER": "https://bench.zhengwu.example/o",
            "ZHENGWU_SSL_REDIRECT": "false",
            "ZHENGWU_ALLOW_LOCAL_PROVIDERS": "true",
            "PYTHONPATH": str(ROOT / "src"),
        }
    )
    return env


def start_server(config: str, port: int, env: dict[str, str], log: Path):
    """``sync:4`` (4 sync workers) or ``gthread:3x4`` (3 workers, 4 threads each)."""
    kind, _, size = config.partition(":")
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "cases_seed:wsgi_application()",
        "--pythonpath",
        str(ROOT / "bench"),
        "--preload",
        "--timeout",
        "120",
        "-b",
        f"127.0.0.1:{port}",
        "--access-logfile",
        "-" if os.environ.get("BENCH_ACCESS_LOG") else "",
        "--error-logfile",
        str(log),
        "--keep-alive",
        "5",
    ]
    command = [c for c in command if c != ""]
    if not os.environ.get("BENCH_ACCESS_LOG"):
        command.remove("--access-logfile")
    if kind == "sync":
        command += ["-w", size, "-k", "sync"]
    else:
        workers, _, threads = size.partition("x")
        command += ["-w", workers, "-k", "gthread", "--threads", threads]
    process = subprocess.Popen(
        command,
        env=env,
        cwd=str(ROOT),
        stdout=open(log.with_suffix(".out"), "w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited ({process.returncode}); see {log}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/v1/cases/tasks")
            conn.getresponse().read()
            conn.close()
            # one request per worker to load code and open connections
            return process
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise SystemExit(f"gunicorn did not start; see {log}")


def stop_server(process) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def set_up(args: argparse.Namespace) -> dict:
    if not args.reuse:
        seed.create_database(args.db)
    seed.django_setup(args.db)
    from django.db import connection

    if args.reuse:
        return json.loads(Path(args.world).read_text())
    started = time.perf_counter()
    seed.migrate()
    seed.seed_calendar()
    orgs = seed.departments(args.departments)
    listings = seed.open_listings(orgs, args.listings_per_department)
    people = seed.citizens(args.citizens)
    tokens = seed.api_tokens([p.user for p in people])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    world = {"tokens": tokens, "listings": listings}
    Path(args.world).write_text(json.dumps(world))
    print(
        f"set-up {time.perf_counter() - started:.0f} s: {len(listings)} listings of "
        f"{len(orgs)} departments, {len(tokens)} citizens with tokens"
    )
    return world


def verify(expected_ids: list[int]) -> dict:
    """The database after a run: one submitted case per 201, unique numbers, no
    draft left by a failed request."""
    from django.db.models import Count

    from zhengwu.cases.models import Case

    rows = Case.objects.filter(pk__in=expected_ids)
    found = rows.exclude(status="draft").count()
    numbers = rows.values("number").distinct().count()
    drafts = Case.objects.filter(status="draft").count()
    duplicates = (
        Case.objects.values("number")
        .annotate(n=Count("id"))
        .filter(n__gt=1, number__isnull=False)
        .count()
    )
    return {
        "ids": len(expected_ids),
        "submitted": found,
        "distinct_numbers": numbers,
        "drafts": drafts,
        "duplicate_numbers": duplicates,
        "total_cases": Case.objects.count(),
    }


def verify_intakes(keys: list[str]) -> dict:
    """The database after an asynchronous run: every 202 an intake made into a
    submitted case, numbers unique, nothing rejected or left pending."""
    from django.db.models import Count, F

    from zhengwu.cases.models import Case, CaseIntake

    rows = CaseIntake.objects.filter(submission_key__in=keys)
    done = rows.filter(status="done", case__status="submitted")
    lags = sorted(
        (r["processed_at"] - r["created_at"]).total_seconds() * 1000
        for r in rows.filter(status="done").values("created_at", "processed_at")
    )
    duplicates = (
        Case.objects.values("number")
        .annotate(n=Count("id"))
        .filter(n__gt=1, number__isnull=False)
        .count()
    )
    return {
        "ids": len(keys),
        "intakes": rows.count(),
        "submitted": done.count(),
        "distinct_numbers": done.values("case__number").distinct().count(),
        "key_matches": done.filter(case__submission_key=F("submission_key")).count(),
        "rejected": rows.filter(status="rejected").count(),
        "pending": rows.filter(status="pending").count(),
        "drafts": Case.objects.filter(status="draft").count(),
        "duplicate_numbers": duplicates,
        "total_cases": Case.objects.count(),
        "case_lag_p50_ms": statistics.median(lags) if lags else None,
        "case_lag_p95_ms": seed.percentile(lags, 0.95),
    }


def pending_intakes() -> int:
    from zhengwu.cases.models import CaseIntake

    return CaseIntake.objects.filter(status="pending").count()


def start_workers(count: int, nice: int, env: dict[str, str], log: Path) -> list:
    """``count`` task workers (``manage.py db_worker``) at scheduling priority
    ``nice`` and the scheduler (``manage.py run_scheduler``, which enqueues the
    task that drains pending intakes every ZHENGWU_INTAKE_INTERVAL_SECONDS): the
    platform's own background processing of what the web took in."""
    env = {**env, "PGAPPNAME": WORKER_APP}
    processes = [
        subprocess.Popen(
            [
                "nice",
                "-n",
                str(nice),
                str(ROOT / ".venv" / "bin" / "python"),
                str(ROOT / "manage.py"),
                "run_scheduler",
            ],
            env=env,
            cwd=str(ROOT),
            stdout=open(log.with_suffix(".scheduler.out"), "w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    ]
    for index in range(count):
        command = [
            "nice",
            "-n",
            str(nice),
            str(ROOT / ".venv" / "bin" / "python"),
            str(ROOT / "manage.py"),
            "db_worker",
            "--interval",
            "0.2",
            "--no-reload",
            "--no-startup-delay",
            "--worker-id",
            f"bench-{index}",
        ]
        processes.append(
            subprocess.Popen(
                command,
                env=env,
                cwd=str(ROOT),
                stdout=open(log.with_suffix(f".{index}.out"), "w"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    return processes


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def orchestrate(args: argparse.Namespace) -> None:
    VAR.mkdir(exist_ok=True)
    args.port = args.port or free_port()
    set_up(args)
    from django.db import connection

    from zhengwu.identity.keys import generate_rsa_private_key_pem

    key_file = VAR / "bench-oidc-signing-key.pem"
    key_file.write_text(generate_rsa_private_key_pem(2048))
    key_file.chmod(0o600)
    env = server_env(args.db, key_file)
    results = []
    try:
        for config in args.configs:
            server = start_server(config, args.port, env, VAR / "bench-gunicorn.log")
            try:
                # warm up: every worker imports, connects and caches
                warm = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "drive",
                        "--world",
                        args.world,
                        "--port",
                        str(args.port),
                        "--threads",
                        str(args.clients),
                        "--duration",
                        "3",
                        "--replays",
                        "0",
                        *(["--respond-async"] if args.respond_async else []),
                    ],
                    check=True,
                    capture_output=True,
                    text=True,
                )
                workers = (
                    start_workers(
                        args.workers, args.worker_nice, env, VAR / "bench-worker.log"
                    )
                    if args.respond_async
                    else []
                )
                if workers:  # the warm-up's intakes first
                    while pending_intakes():
                        time.sleep(0.5)
                    if args.defer_workers:  # taking in alone; cases made after
                        for worker in workers:
                            os.killpg(worker.pid, signal.SIGSTOP)
                cpu_before = server_cpu(server.pid, args.db)
                web_pids = children(server.pid)
                worker_before = worker_cpu(workers, args.db)
                driver = subprocess.Popen(
                    [
                        sys.executable,
                        __file__,
                        "drive",
                        "--world",
                        args.world,
                        "--port",
                        str(args.port),
                        "--threads",
                        str(args.clients),
                        "--duration",
                        str(args.duration),
                        "--replays",
                        str(args.replays),
                        *(["--respond-async"] if args.respond_async else []),
                    ],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                assert driver.stdout.readline().strip() == "main-done"
                cpu_after = server_cpu(server.pid, args.db)
                worker_after = worker_cpu(workers, args.db)
                drain = {}
                if workers:
                    if args.defer_workers:
                        for worker in workers:
                            os.killpg(worker.pid, signal.SIGCONT)
                    drain_began = time.perf_counter()
                    drain["backlog_at_end"] = pending_intakes()
                    while pending_intakes():
                        time.sleep(0.25)
                    drain["drain_seconds"] = time.perf_counter() - drain_began
                    drain["worker_cpu_s_during_load"] = sum(
                        worker_after.get(pid, 0.0) - worker_before.get(pid, 0.0)
                        for pid in worker_after
                    )
                    drained = worker_cpu(workers, args.db)
                    drain["worker_cpu_s_total"] = sum(
                        drained.get(pid, 0.0) - worker_before.get(pid, 0.0)
                        for pid in drained
                    )
                stdout, stderr = driver.communicate("go\n")
                if driver.returncode:
                    raise SystemExit(f"driver failed: {stderr[-2000:]}")
                del warm
            finally:
                stop_server(server)
                for worker in locals().get("workers") or []:
                    stop_server(worker)
            if stderr.strip():
                print(stderr.strip()[:2000])
            outcome = json.loads(stdout.strip().splitlines()[-1])
            keys = outcome.pop("keys")
            ids = outcome.pop("ids")
            check = verify_intakes(keys) if args.respond_async else verify(ids)
            outcome.update(drain)
            if drain:
                outcome["worker_cpu_ms_per_case"] = (
                    1000 * drain["worker_cpu_s_total"] / max(1, outcome["created"])
                )
            server_seconds = sum(
                cpu_after.get(pid, 0.0) - cpu_before.get(pid, 0.0) for pid in cpu_after
            )
            web_seconds = sum(
                cpu_after.get(pid, 0.0) - cpu_before.get(pid, 0.0)
                for pid in cpu_after
                if pid in web_pids
            )
            outcome.update(
                config=config,
                clients=args.clients,
                check=check,
                server_cpu_ms=1000 * server_seconds / max(1, outcome["requests"]),
                web_cpu_ms=1000 * web_seconds / max(1, outcome["requests"]),
                driver_cpu_ms=1000
                * outcome.pop("driver_cpu")
                / max(1, outcome["requests"]),
            )
            results.append(outcome)
            print(json.dumps(outcome, ensure_ascii=False))
    finally:
        connection.close()
        if not args.keep:
            seed.drop_database(args.db)
        key_file.unlink(missing_ok=True)

    print(f"\n{seed.machine()}; {args.duration} s per configuration\n")
    print(
        "| server | clients | 201/s | p50 ms | p95 ms | p99 ms | errors | "
        "server CPU ms per submission | replay 200/s | replay p50 ms | "
        "replay p95 ms | check |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        errors = {k: v for k, v in r["statuses"].items() if k not in {"201", "202"}}
        c = r["check"]
        ok = (
            c["submitted"] == c["ids"] == c["distinct_numbers"]
            and c["drafts"] == 0
            and c["duplicate_numbers"] == 0
            and r["replay_wrong"] == 0
        )
        print(
            f"| {r['config']} | {r['clients']} | {r['per_second']:.0f} | "
            f"{r['p50']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} | "
            f"{sum(errors.values()) or 0} | {r['server_cpu_ms']:.1f} | "
            f"{r['replay_per_second'] or 0:.0f} | "
            f"{r['replay_p50'] or 0:.1f} | {r['replay_p95'] or 0:.1f} | "
            f"{'ok' if ok else 'MISMATCH ' + json.dumps(c)} |"
        )
        if "drain_seconds" in r:
            print(
                f"  async: backlog at the end of the load {r['backlog_at_end']}, "
                f"drained in {r['drain_seconds']:.1f} s; intake to case p50 "
                f"{c['case_lag_p50_ms'] or 0:.0f} ms, p95 {c['case_lag_p95_ms'] or 0:.0f} ms; "
                f"rejected {c['rejected']}, pending {c['pending']}, key matches "
                f"{c['key_matches']}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command")
    d = sub.add_parser("drive", help="the load driver (run by the orchestrator)")
    d.add_argument("--world", required=True)
    d.add_argument("--port", type=int, required=True)
    d.add_argument("--threads", type=int, default=16)
    d.add_argument("--duration", type=float, default=20)
    d.add_argument("--replays", type=int, default=500)
    d.add_argument("--respond-async", action="store_true")
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    parser.add_argument(
        "--configs", nargs="+", default=["sync:3", "sync:4", "sync:5", "gthread:4x2"]
    )
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--replays", type=int, default=1000)
    parser.add_argument("--departments", type=int, default=10)
    parser.add_argument("--listings-per-department", type=int, default=5)
    parser.add_argument("--citizens", type=int, default=200)
    parser.add_argument("--world", default=str(VAR / "bench-cases-world.json"))
    parser.add_argument(
        "--respond-async",
        action="store_true",
        help="the asynchronous path (Prefer: respond-async, 202), with task workers",
    )
    parser.add_argument("--workers", type=int, default=1, help="task workers (async)")
    parser.add_argument(
        "--defer-workers",
        action="store_true",
        help="async: the task workers and scheduler are stopped (SIGSTOP) during the "
        "timed load and resumed after it (peak taking-in capacity; the backlog is "
        "drained afterwards)",
    )
    parser.add_argument(
        "--worker-nice", type=int, default=10, help="nice value of the task workers"
    )
    parser.add_argument("--reuse", action="store_true", help="database already set up")
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    args = parser.parse_args()
    if args.command == "drive":
        drive(args)
    else:
        orchestrate(args)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Load and soak of `gitfleet serve`: many dashboard clients at once, then the same with one
client running a memory-hungry query in a loop.

  python benches/serve_soak.py PORT SERVER_PID [SECONDS] [CLIENTS] [BLAME_PATH]

Each of CLIENTS (default 64) connections runs a mix of dashboard queries in a loop for SECONDS
(default 300) per phase: a count, group-bys over commits and commit_files, and a blame of one
file (BLAME_PATH, default README.md). Reported per phase: queries/s, p50/p99 latency, errors,
and the server's RSS sampled every 5 s (SERVER_PID is read from /proc). Phase 2 adds one client
whose query needs far more memory than the server's --memory-limit, in a loop: it must fail
alone, and the other clients' p99 should stay within 2x of phase 1.
"""
import statistics
import sys
import threading
import time

import psycopg

PORT = sys.argv[1]
PID = int(sys.argv[2])
SECONDS = float(sys.argv[3]) if len(sys.argv) > 3 else 300.0
CLIENTS = int(sys.argv[4]) if len(sys.argv) > 4 else 64
BLAME = sys.argv[5] if len(sys.argv) > 5 else "README.md"
DSN = f"host=127.0.0.1 port={PORT} dbname=gitfleet user=soak"

QUERIES = [
    "SELECT count(*) FROM commits",
    "SELECT author_email, count(*) AS n FROM commits GROUP BY 1 ORDER BY 2 DESC LIMIT 10",
    "SELECT date_trunc('month', author_time) AS m, count(*) FROM commits GROUP BY 1 ORDER BY 1",
    "SELECT path, count(*) AS changes FROM commit_files GROUP BY 1 ORDER BY 2 DESC LIMIT 10",
    "SELECT sum(additions), sum(deletions) FROM commits WHERE NOT is_merge",
    f"SELECT author_email, count(*) FROM blame WHERE path = '{BLAME}' GROUP BY 1",
]
HUNGRY = "SELECT cardinality(array_agg(value)) FROM generate_series(1, 100000000)"


def rss_mb():
    with open(f"/proc/{PID}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def phase(name, hungry):
    stop = time.monotonic() + SECONDS
    latencies, errors, lock = [], [], threading.Lock()
    hungry_runs = {"failed": 0, "ok": 0}

    def client(i):
        try:
            with psycopg.connect(DSN, autocommit=True) as conn:
                n = i
                while time.monotonic() < stop:
                    sql = QUERIES[n % len(QUERIES)]
                    n += 1
                    started = time.monotonic()
                    try:
                        conn.execute(sql).fetchall()
                        with lock:
                            latencies.append(time.monotonic() - started)
                    except psycopg.Error as e:
                        with lock:
                            errors.append(f"{sql}: {e}".splitlines()[0])
        except psycopg.Error as e:
            with lock:
                errors.append(f"connect: {e}".splitlines()[0])

    def glutton():
        with psycopg.connect(DSN, autocommit=True) as conn:
            while time.monotonic() < stop:
                try:
                    conn.execute(HUNGRY).fetchall()
                    hungry_runs["ok"] += 1
                except psycopg.Error:
                    hungry_runs["failed"] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    if hungry:
        threads.append(threading.Thread(target=glutton))
    rss = [rss_mb()]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        time.sleep(5)
        rss.append(rss_mb())
    for t in threads:
        t.join()
    latencies.sort()
    q = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else float("nan")
    print(f"## {name}")
    print(f"queries: {len(latencies)} in {SECONDS:.0f} s = {len(latencies) / SECONDS:.1f}/s; "
          f"p50 {q(0.50):.0f} ms, p99 {q(0.99):.0f} ms; errors: {len(errors)}")
    if errors:
        for e in sorted(set(errors))[:5]:
            print(f"  error: {e}")
    if hungry:
        print(f"memory-hungry query: {hungry_runs['failed']} failed (expected), {hungry_runs['ok']} completed")
    print("server RSS (MB, every 5 s): " + " ".join(f"{r:.0f}" for r in rss))
    print(f"RSS first/last/max: {rss[0]:.0f} / {rss[-1]:.0f} / {max(rss):.0f} MB; "
          f"median of the second half {statistics.median(rss[len(rss) // 2:]):.0f} MB")
    return q(0.99)


p99_alone = phase(f"{CLIENTS} dashboard clients", hungry=False)
p99_with = phase(f"{CLIENTS} dashboard clients + one memory-hungry client", hungry=True)
print(f"p99 with the hungry client / alone: {p99_with / p99_alone:.2f}x (goal <= 2x)")

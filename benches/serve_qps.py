#!/usr/bin/env python3
"""Queries per second through `gitfleet serve` with 1, 4 and 16 psycopg clients.

  python benches/serve_qps.py PORT [SECONDS]    # against a running `gitfleet serve`
Each client runs the same small query over its own connection (extended protocol, bound
parameter) in a loop for SECONDS (default 5).
"""
import sys
import threading
import time

import psycopg

PORT = sys.argv[1]
SECONDS = float(sys.argv[2]) if len(sys.argv) > 2 else 5.0
SQL = "SELECT count(*) FROM refs WHERE %s >= 0"


def run(clients):
    counts = [0] * clients
    stop = time.monotonic() + SECONDS

    def work(i):
        with psycopg.connect(f"host=127.0.0.1 port={PORT} dbname=gitfleet user=bench", autocommit=True) as c:
            while time.monotonic() < stop:
                c.execute(SQL, (i,)).fetchone()
                counts[i] += 1

    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / SECONDS


print("| clients | queries/s |")
print("|---|---|")
for n in (1, 4, 16):
    print(f"| {n} | {run(n):.0f} |")

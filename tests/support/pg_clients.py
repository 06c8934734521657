#!/usr/bin/env python3
"""Drives `gitfleet serve` with real Postgres clients (psycopg 3, SQLAlchemy). Run by tests/server.rs.

argv: PORT EXPECTED_COMMITS AUTHOR_EMAIL EXPECTED_FOR_THAT_AUTHOR
Each check raises (non-zero exit) on a wrong answer; prints one line per check passed.
"""

import json
import os
import sys
import threading

import psycopg
import sqlalchemy

PORT, COMMITS, EMAIL, BY_EMAIL = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
DSN = f"host=127.0.0.1 port={PORT} dbname=gitfleet user=tester"


def check(name, ok, detail=""):
    if not ok:
        raise SystemExit(f"FAILED {name}: {detail}")
    print(f"ok {name}")


# psycopg 3: server-side bound parameters (extended protocol).
with psycopg.connect(DSN, autocommit=True) as conn:
    n = conn.execute("SELECT count(*) FROM commits").fetchone()[0]
    check("count", n == COMMITS, n)
    n = conn.execute("SELECT count(*) FROM commits WHERE author_email = %s", (EMAIL,)).fetchone()[0]
    check("bound text parameter", n == BY_EMAIL, n)
    rows = conn.execute(
        "SELECT sha, additions FROM commits WHERE additions >= %s ORDER BY sha LIMIT %s", (0, 3)
    ).fetchall()
    check("bound integer parameters", len(rows) == 3 and all(isinstance(r[1], int) for r in rows), rows)
    t = conn.execute("SELECT author_time FROM commits LIMIT 1").fetchone()[0]
    check("timestamptz arrives as an aware datetime", t.tzinfo is not None, t)
    parents = conn.execute("SELECT parents FROM commits WHERE is_merge LIMIT 1").fetchone()
    check("arrays arrive as lists", parents is None or isinstance(parents[0], list), parents)
    # A bad query, then a good one, on the same connection.
    try:
        conn.execute("SELEC 1")
        check("bad query fails", False)
    except psycopg.Error as e:
        check("bad query fails", "SELEC" in str(e) or "syntax" in str(e).lower(), e)
    check("good query after a bad one", conn.execute("SELECT 42").fetchone()[0] == 42)
    # A statement nested too deep fails alone (once a stack overflow that aborted the server).
    try:
        conn.execute("SELECT 1" + "+1" * 2999 + " WHERE %s > 0", (1,))
        check("deep statement fails", False)
    except psycopg.Error as e:
        check("deep statement fails", e.sqlstate == "54001" and "too complex" in str(e), e)
    check("server up after a deep statement", conn.execute("SELECT 7").fetchone()[0] == 7)
    # Writes are refused, with a clear message.
    for sql in ["CREATE TABLE t (a int)", "INSERT INTO commits (sha) VALUES ('x')",
                "COPY (SELECT 1) TO '/tmp/gitfleet-should-not-exist.csv'"]:
        try:
            conn.execute(sql)
            check(f"refused: {sql}", False)
        except psycopg.Error as e:
            check(f"refused: {sql}", "read-only" in str(e), e)
    # Analyses are views.
    n = conn.execute("SELECT count(*) FROM top_contributors").fetchone()[0]
    check("analysis view", n > 0, n)

# Server-side (named) cursors: DECLARE, then FETCHes described with the cursor's columns.
with psycopg.connect(DSN) as conn:
    with conn.cursor(name="shas") as cur:
        cur.execute("SELECT sha, additions, author_time FROM commits ORDER BY sha")
        first = cur.fetchmany(3)
        rest = cur.fetchall()
        names = [d.name for d in cur.description]
    check("named cursor columns", names == ["sha", "additions", "author_time"], names)
    check(
        "named cursor rows",
        len(first) == 3 and len(first) + len(rest) == COMMITS and isinstance(first[0][1], int)
        and first[0][2].tzinfo is not None and [r[0] for r in first + rest] == sorted(r[0] for r in first + rest),
        (first, len(rest)),
    )
    with conn.cursor(name="by_author") as cur:
        cur.execute("SELECT count(*) AS n FROM commits WHERE author_email = %s", (EMAIL,))
        check("named cursor with a parameter", cur.fetchone()[0] == BY_EMAIL)
    conn.rollback()

# Cancel: a long query stopped by the client's cancel request.
with psycopg.connect(DSN, autocommit=True) as conn:
    timer = threading.Timer(0.5, conn.cancel)
    timer.start()
    try:
        conn.execute("SELECT sum(value) FROM generate_series(1, 200000000000)").fetchone()
        check("cancel", False, "the query finished")
    except psycopg.errors.QueryCanceled:
        check("cancel", True)
    finally:
        timer.cancel()
    check("connection usable after cancel", conn.execute("SELECT 1").fetchone()[0] == 1)

# 16 clients at once, each with its own connection and queries.
errors = []


def client(i):
    try:
        with psycopg.connect(DSN, autocommit=True) as c:
            for _ in range(3):
                n = c.execute("SELECT count(*) FROM commits WHERE %s >= 0", (i,)).fetchone()[0]
                if n != COMMITS:
                    errors.append(f"client {i}: {n}")
    except Exception as e:  # noqa: BLE001
        errors.append(f"client {i}: {e}")


threads = [threading.Thread(target=client, args=(i,)) for i in range(16)]
for t in threads:
    t.start()
for t in threads:
    t.join()
check("16 concurrent clients", not errors, errors)

# SQLAlchemy's inspector: the path Superset and most Python BI tools take.
engine = sqlalchemy.create_engine(f"postgresql+psycopg://tester@127.0.0.1:{PORT}/gitfleet")
inspector = sqlalchemy.inspect(engine)
tables = inspector.get_table_names()
check("inspector tables", {"commits", "commit_files", "refs", "files", "repos"} <= set(tables), tables)
columns = {c["name"]: c for c in inspector.get_columns("commits")}
types = {name: type(c["type"]).__name__ for name, c in columns.items()}
check(
    "inspector columns",
    types.get("author_email") == "TEXT" and types.get("additions") == "BIGINT"
    and types.get("is_merge") == "BOOLEAN" and types.get("parents") == "ARRAY"
    and types.get("author_time") == "TIMESTAMP" and columns["author_time"]["type"].timezone,
    types,
)
check("inspector view columns", [c["name"] for c in inspector.get_columns("top_contributors")][:2] == ["repo", "author"])
check("inspector primary key", inspector.get_pk_constraint("commits")["constrained_columns"] == [])
check("inspector indexes", inspector.get_indexes("commits") == [])
check("inspector foreign keys", inspector.get_foreign_keys("commits") == [])
check("inspector unique constraints", inspector.get_unique_constraints("commits") == [])
check("inspector schemas", inspector.get_schema_names() == ["public"], inspector.get_schema_names())
check("inspector views", "top_contributors" in inspector.get_view_names())
with engine.connect() as c:
    n = c.execute(sqlalchemy.text("SELECT count(*) FROM commits WHERE author_email = :e"), {"e": EMAIL}).scalar()
    check("sqlalchemy bound query", n == BY_EMAIL, n)

# SQL the compatibility rewrites touch, on both protocols (ClientCursor: simple query).
with psycopg.connect(DSN, autocommit=True) as conn:
    for cursor in (conn.cursor(), psycopg.ClientCursor(conn)):
        kind = type(cursor).__name__
        # A correlated subquery over git tables is answered, not replaced with NULL.
        n = cursor.execute(
            "SELECT (SELECT count(*) FROM commits c2 WHERE c2.author_email = c.author_email) AS n "
            "FROM commits c WHERE c.author_email = %s LIMIT 1", (EMAIL,)
        ).fetchone()[0]
        check(f"correlated subquery ({kind})", n == BY_EMAIL, n)
        rows = cursor.execute(
            "SELECT 'a_b' LIKE 'a!_b' ESCAPE '!', 'axb' LIKE 'a!_b' ESCAPE '!', 'c!d' LIKE 'c!!d' ESCAPE '!'"
        ).fetchone()
        check(f"LIKE with ESCAPE ({kind})", rows == (True, False, True), rows)
    # Lookups in these catalog tables are answered as empty (src/server/rewrite.rs).
    for table in ["pg_sequence", "pg_attrdef", "pg_trigger", "pg_policy", "pg_inherits",
                  "pg_partitioned_table", "pg_statistic_ext"]:
        n = conn.execute(f"SELECT count(*) FROM pg_catalog.{table}").fetchone()[0]
        check(f"{table} is empty", n == 0, n)

# What DBeaver, Grafana and Metabase send when they connect and list tables.
BI = json.load(open(os.path.join(os.path.dirname(__file__), "bi_connect_queries.json")))
for tool in ["dbeaver", "grafana", "metabase"]:
    with psycopg.connect(DSN, autocommit=True) as conn:
        for cursor in (conn.cursor(), psycopg.ClientCursor(conn)):
            failed = []
            for sql in BI[tool]:
                try:
                    cursor.execute(sql)
                except psycopg.Error as e:
                    failed.append(f"{sql[:80]}: {e}")
            check(f"{tool} connect queries ({type(cursor).__name__})", not failed, failed)

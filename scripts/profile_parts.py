#!/usr/bin/env python3
"""Shares of a folded profile (inferno-collapse-perf --all) by part of the
autosave path: the load generator, the server's layers, the database.

    python3 scripts/profile_parts.py target/bench/profile-sqlite-2000-after.folded [saves/s]

With the closed loop's saves per second of the same run, each share is also
given as machine time per save (2 cores' samples over that rate).

Each stack is counted once, in the first part (in the order below) that one of
its frames names; the leaf frame's kind (kernel, allocator, other) is counted
apart. Async stacks are deep and their frames long, which makes the flame
graph hard to read at a glance: this is the summary docs/BENCHMARKS.md quotes.
"""
import collections
import re
import sys

PARTS = [
    ("SQLite's worker threads (engine, WAL, thread hand-offs)", lambda th, fr: th.startswith("sqlx-sqlite")),
    ("PostgreSQL's processes", lambda th, fr: th.startswith("postgres")),
    ("load generator (reqwest client)", lambda th, fr: th.startswith("tokio-rt") and any(
        "reqwest::" in f or "hyper_util::client" in f or "hyper::client" in f or "bench_autosave::" in f for f in fr)),
    ("server: sqlx (pool, driver, sockets)", lambda th, fr: th.startswith("tokio-rt") and any("sqlx_" in f for f in fr)),
    ("server: the save function (but sqlx)", lambda th, fr: th.startswith("tokio-rt") and any("SaveRequest" in f for f in fr)),
    ("server: HTTP, middleware, server-function plumbing", lambda th, fr: th.startswith("tokio-rt") and any(
        "Dispatcher<hyper::proto::h1::dispatch::Server" in f for f in fr)),
    ("runtime threads, other (scheduler, wake-ups)", lambda th, fr: th.startswith("tokio-rt")),
    ("idle", lambda th, fr: th.startswith("swapper")),
]


def main(path, rate=None):
    total = 0
    parts = collections.Counter()
    leaves = collections.Counter()
    for line in open(path):
        stack, n = line.rstrip().rsplit(" ", 1)
        n = int(n)
        total += n
        frames = stack.split(";")
        name = next((p for p, test in PARTS if test(frames[0], frames)), "other processes")
        parts[name] += n
        leaf = frames[-1]
        if leaf.endswith("_[k]"):
            leaves["kernel"] += n
        elif re.search(r"malloc|free|realloc|_mi_|mi_", leaf):
            leaves["allocator"] += n
        else:
            leaves["other"] += n
    cores = 2
    for name, n in parts.most_common():
        per_save = f"  {cores * 1e6 * n / total / rate:6.0f} µs/save" if rate else ""
        print(f"{100 * n / total:5.1f} %{per_save}  {name}")
    print("leaf frames: " + ", ".join(f"{k} {100 * v / total:.1f} %" for k, v in leaves.most_common()))


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else None)

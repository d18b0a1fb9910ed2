#!/usr/bin/env python3
"""Writes the benchmark report of `scripts/bench.sh` into docs/BENCHMARKS.md.

Reads the `FIGURE <key> <value>` lines the benchmarks printed (a key given
several times keeps its worst value), and writes one table: each figure on
both backends, beside its target and beside the machine's limit measured in
the same run, with a verdict. The report replaces what is between the
`<!-- rapport:début -->` and `<!-- rapport:fin -->` markers.
"""
import argparse
import re
import sys

START, END = "<!-- rapport:début -->", "<!-- rapport:fin -->"

# (label, key with {b} for the backend or a plain key, unit, target, better,
#  limit key or None, what would close a miss)
ROWS = [
    ("Autosave, 2,000 editors at 1 save/s: p99", "autosave.{b}.e2000.paced_p99_ms", "ms", 15, "low", None,
     "the p99 is the queue of saves behind one commit: fewer fsyncs (group commit) or a faster disk"),
    ("Autosave, 2,000 editors at 1 save/s: saves/s answered (2,000 asked)", "autosave.{b}.e2000.paced_saves_per_s",
     "/s", 1980, "high", None,
     "the server cannot keep up with the editors: see the closed loop's figures and the profile"),
    ("Autosave, closed loop, 2,000 editors: saves/s", "autosave.{b}.e2000.closed_saves_per_s", "/s", None, "high",
     "limit.{b}_commits_per_s_8w", ""),
    ("Autosave, closed loop: share of the machine's commit rate (8 writers)", "autosave.{b}.closed_share_pct", "%",
     50, "high", None,
     "each save costs one commit and three statements (session with its account, the request's facts, "
     "the update) plus HTTP, sharing the 2 cores with the load generator (its own ceiling is in the log); "
     "committing the saves of several editors in one transaction (group commit) is the next lever"),
    ("Autosave, closed loop: 2,000 editors against 200", "autosave.{b}.closed_kept_pct", "%", 100, "high", None,
     "2,000 connections cost more per request than 200 in the kernel and the runtime, in the load "
     "generator as much as in the server (the generator's own ceiling falls too)"),
    ("Autosave, load generator's own ceiling (2,000 connections, endpoint doing nothing)",
     "autosave.{b}.e2000.generator_saves_per_s", "/s", None, "high", None, ""),
    ("Autosave: drafts with a lost or doubled save", "autosave.{b}.e2000.lost", "", 0, "low", None, "a defect"),
    ("Dashboard over the requests: worst p95 of 12 filters", "dashboard.{b}.p95_ms", "ms", 20, "low", None,
     "a covering index for the slowest filter (see the dashboard section)"),
    ("Live events to 10,000 streams (held by another process): p99", "fanout.{b}.p99_ms", "ms", 200, "low",
     None, "fewer streams per instance"),
    ("Live events delivered", "fanout.{b}.delivered_pct", "%", 100, "high", None, "a defect"),
    ("Server memory per 1,000 open streams", "fanout.{b}.server_mib_per_1000_streams", "MiB", 150, "low", None,
     "smaller per-stream buffers"),
    ("Server memory with the 10,000 streams open (peak, events going out)", "fanout.{b}.server_peak_rss_mib",
     "MiB", 286, "low", None,
     "300 MB (286 MiB); hyper keeps an 8 KiB read and an 8 KiB write buffer per connection: HTTP/2 "
     "from the reverse proxy, or fewer streams per instance"),
    ("Token API, in-process clients: calls/s", "api.{b}.inprocess_calls_per_s", "/s", 20000, "high",
     "limit.hello_inprocess_per_s", "the hello endpoint beside it is the ceiling of this machine"),
    ("Token API, wrk: calls/s", "api.{b}.wrk_calls_per_s", "/s", 20000, "high", "limit.hello_wrk_per_s",
     "the hello endpoint beside it is the ceiling of this machine"),
    ("Token API, wrk: share of the hello endpoint (wrk -t1 -c64)", "api.{b}.wrk_hello_share_pct", "%", 60,
     "high", None,
     "the hello run sends one fixed request, the API run a Lua script rotating 1,000 tokens; the row "
     "below compares with the same script"),
    ("Token API, wrk: share of the hello endpoint loaded by the same wrk script",
     "api.{b}.wrk_same_script_share_pct", "%", 60, "high", "api.{b}.wrk_hello_same_script_per_s",
     "the rest of a call is the token's checks and counts, about 1.2 KB more answer, and its headers"),
    ("Token API, proxy mode to a local upstream: calls/s", "api.{b}.proxy_calls_per_s", "/s", None, "high",
     "api.{b}.upstream_calls_per_s",
     "the upstream runs in the same process: each call costs Guichet's checks plus a second HTTP "
     "call; on separate machines the upstream's share of the cores goes back to Guichet"),
    ("Revocation → first refused call: max of 20", "api.{b}.revocation_max_ms", "ms", 1000, "low", None,
     "a defect: the live event or the 1 s row cache failed"),
]
SINGLE = [
    ("WASM bundle: main module (every page), brotli -11", "build.wasm_brotli_kib", "KiB", 250, "low",
     "the main module (split on demand, views type-erased) still holds the router, the layout, "
     "the public and account pages, serde for the request data and the server-function clients; "
     "more lazy parts reach ~260 KiB but make signed-in pages slower (wasm-split cuts shared "
     "code into more small modules, one round trip each: wizard +24 %), so they were dropped; "
     "closing it needs fewer, larger shared modules or a lighter layout/router "
     "(docs/BENCHMARKS.md, \"One more lazy group\")"),
    ("Incremental dev rebuild (server + WASM)", "build.incremental_s", "s", 30, "low",
     "fewer generic view types per page"),
    ("Server memory per open stream, axum::serve", "connections.axum_serve.kib_per_stream", "KiB", None, "low",
     ""),
    ("Server memory per open stream, Guichet's loop (listen::serve)", "connections.listen_serve.kib_per_stream",
     "KiB", None, "low", ""),
    ("Clean clone `.ci/run`", "build.ci_s", "s", 5400, "low", "split the e2e build from the test build"),
]
LIMITS = [
    ("axum hello endpoint, 64 in-process clients", "limit.hello_inprocess_per_s", "/s"),
    ("axum hello endpoint, wrk -t1 -c64", "limit.hello_wrk_per_s", "/s"),
    ("SQLite commits (1 KB row, own transaction), 1 writer", "limit.sqlite_commits_per_s_1w", "/s"),
    ("SQLite commits, 8 writers", "limit.sqlite_commits_per_s_8w", "/s"),
    ("PostgreSQL commits (1 KB row, own transaction), 1 writer", "limit.postgres_commits_per_s_1w", "/s"),
    ("PostgreSQL commits, 8 writers", "limit.postgres_commits_per_s_8w", "/s"),
]


def read(path):
    values = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[0] == "FIGURE":
                try:
                    values.setdefault(parts[1], []).append(float(parts[2]))
                except ValueError:
                    pass
    return values


def worst(values, key, better):
    v = values.get(key)
    if not v:
        return None
    return min(v) if better == "high" else max(v)


def fmt(v, unit):
    if v is None:
        return "not measured"
    if abs(v) >= 100:
        s = f"{v:,.0f}".replace(",", "\u202f")
    elif abs(v) >= 10:
        s = f"{v:.1f}"
    else:
        s = f"{v:.2f}".rstrip("0").rstrip(".") if v else "0"
    return f"{s} {unit}".strip()


def meets(v, target, better):
    if v is None:
        return None
    return v <= target if better == "low" else v >= target


def verdict(ok):
    return {True: "met", False: "**missed**", None: "—"}[ok]


def render(values, a):
    out = [START, ""]
    if a.quick == "1":
        out.append(f"## Latest report: quick run of {a.started} (`--quick`: smaller loads, not figures to rely on)")
    else:
        out.append(f"## Latest report: full run of {a.started}")
    out.append("")
    out.append("Written by `bash scripts/bench.sh` (one command; `--with-ci` adds a clean clone's CI run). "
               f"Machine: {a.machine}. {a.versions}. Every figure below comes from this one run; "
               "the history and the method of each benchmark follow the report.")
    out.append("")
    out.append("Machine limits measured in the same run:")
    out.append("")
    out.append("| Limit | Measured |")
    out.append("|---|---|")
    for label, key, unit in LIMITS:
        out.append(f"| {label} | {fmt(worst(values, key, 'high'), unit)} |")
    out.append("")
    out.append("| Figure | SQLite | PostgreSQL | Target | Limit (same run) | Verdict |")
    out.append("|---|---|---|---|---|---|")
    misses = []
    for label, key, unit, target, better, limit, remedy in ROWS:
        cells, oks, lims = [], [], []
        targets = target if isinstance(target, dict) else {"sqlite": target, "postgres": target}
        for b in ("sqlite", "postgres"):
            v = worst(values, key.format(b=b), better)
            cells.append(fmt(v, unit))
            oks.append(meets(v, targets[b], better) if targets.get(b) is not None else None)
            if limit:
                lk = limit.format(b=b)
                name = {"sqlite": "SQLite", "postgres": "PostgreSQL"}[b]
                lims.append(f"{fmt(worst(values, lk, 'high'), '/s')}" + (f" ({name})" if "{b}" in limit else ""))
        sign = "≤" if better == "low" else "≥"
        limit_cell = " / ".join(dict.fromkeys(lims)) if lims else "—"
        known = [o for o in oks if o is not None]
        ok = None if not known else all(known)
        named = {b: v for b, v in targets.items() if v is not None}
        if not named:
            target_cell = "—"
        elif len(set(named.values())) == 1 and len(named) == 2:
            target_cell = f"{sign} {fmt(next(iter(named.values())), unit)}"
        else:
            target_cell = " ; ".join(
                f"{sign} {fmt(v, unit)} ({'SQLite' if b == 'sqlite' else 'PostgreSQL'})"
                for b, v in named.items()
            )
        out.append(f"| {label} | {cells[0]} | {cells[1]} | {target_cell} | {limit_cell} | {verdict(ok)} |")
        if ok is False:
            misses.append((label, remedy))
    for label, key, unit, target, better, remedy in SINGLE:
        v = worst(values, key, better)
        ok = meets(v, target, better)
        sign = "≤" if better == "low" else "≥"
        second = "(no database)" if key.startswith("connections.") else "(same build)"
        target_cell = f"{sign} {fmt(target, unit)}" if target is not None else "—"
        out.append(f"| {label} | {fmt(v, unit)} | {second} | {target_cell} | — | {verdict(ok)} |")
        if ok is False:
            misses.append((label, remedy))
    failed = [k.split(".", 1)[1] for k in values if k.startswith("failed.")]
    out.append("")
    if failed:
        out.append(f"Benchmarks that stopped with an error in this run: {', '.join(sorted(failed))} (see target/bench/bench.log).")
        out.append("")
    if misses:
        out.append("Missed targets, why, and what would close them:")
        out.append("")
        for label, remedy in misses:
            out.append(f"- {label}: {remedy}.")
        out.append("")
    out.append(END)
    return "\n".join(out)


def derive(values):
    """Figures computed from others of the same run: the closed loop's share
    of the commit rate, what it keeps from 200 to 2,000 editors, and the
    token API's share of the hello endpoint."""
    for b in ("sqlite", "postgres"):
        closed = worst(values, f"autosave.{b}.e2000.closed_saves_per_s", "high")
        limit = worst(values, f"limit.{b}_commits_per_s_8w", "high")
        fewer = worst(values, f"autosave.{b}.e200.closed_saves_per_s", "high")
        if closed is not None and limit:
            values[f"autosave.{b}.closed_share_pct"] = [100 * closed / limit]
        if closed is not None and fewer:
            values[f"autosave.{b}.closed_kept_pct"] = [100 * closed / fewer]
        # The token API against the hello endpoint, from the same wrk: with
        # its fixed request (bench_limits), and with the API's own script.
        calls = worst(values, f"api.{b}.wrk_calls_per_s", "high")
        hello = worst(values, "limit.hello_wrk_per_s", "high")
        same = worst(values, f"api.{b}.wrk_hello_same_script_per_s", "high")
        if calls is not None and hello:
            values[f"api.{b}.wrk_hello_share_pct"] = [100 * calls / hello]
        if calls is not None and same:
            values[f"api.{b}.wrk_same_script_share_pct"] = [100 * calls / same]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("figures")
    p.add_argument("doc")
    p.add_argument("--started", default="?")
    p.add_argument("--machine", default="?")
    p.add_argument("--versions", default="?")
    p.add_argument("--quick", default="0")
    a = p.parse_args()
    values = read(a.figures)
    derive(values)
    report = render(values, a)
    with open(a.doc, encoding="utf-8") as f:
        doc = f.read()
    if START in doc and END in doc:
        doc = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: report, doc, flags=re.S)
    else:
        head, sep, rest = doc.partition("\n## ")
        doc = head + "\n" + report + "\n" + sep.lstrip("\n") + rest if sep else doc + "\n" + report + "\n"
    with open(a.doc, "w", encoding="utf-8") as f:
        f.write(doc)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Helpers for bench/gateway/run.sh (standard library only; talks to 127.0.0.1 only).

  helper.py ports N                     N free TCP ports on 127.0.0.1, one a line
  helper.py tree PID                    PID and its descendants, one a line
  helper.py cpu PID                     utime+stime of PID and its descendants, in clock ticks
  helper.py mem PID                     "RSS_KiB HWM_KiB" summed over PID and its descendants
  helper.py sample PID SECONDS          largest summed RSS (KiB) seen over SECONDS (10 Hz)
  helper.py check PORT PATH AUTH BODY_FILE json|sse
                                        one request; exit 1 (with the answer) unless it is a
                                        200 with a usage object / an SSE stream ending in [DONE]
  helper.py stream PORT PATH AUTH BODY_FILE N
                                        N streaming requests on one keep-alive connection;
                                        prints "BENCH n= ttfb_us= first_data_us= errors="
                                        (medians; ttfb = status line, first_data = first `data:`)
  helper.py json KEY                    reads a JSON object on stdin, prints KEY's value
  helper.py sql DB STATEMENT            runs STATEMENT on a SQLite file, prints rows changed
  helper.py report RESULTS_TSV          the Markdown table and the goals (see README.md)
"""
import http.client
import json
import os
import socket
import sqlite3
import statistics
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def ports(n):
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    for s in socks:
        print(s.getsockname()[1])
    for s in socks:
        s.close()


def _stat(pid):
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()


def tree(pid):
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            ppid = int(_stat(d)[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(d))
    out, todo = [], [int(pid)]
    while todo:
        p = todo.pop()
        if os.path.exists(f"/proc/{p}"):
            out.append(p)
        todo.extend(children.get(p, []))
    return out


def cpu(pid):
    total = 0
    for p in tree(pid):
        try:
            f = _stat(p)
            total += int(f[11]) + int(f[12])
        except (OSError, IndexError, ValueError):
            pass
    return total


def mem(pid):
    rss = hwm = 0
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss += int(line.split()[1])
                    elif line.startswith("VmHWM:"):
                        hwm += int(line.split()[1])
        except OSError:
            pass
    return rss, hwm


def sample(pid, seconds):
    end = time.monotonic() + seconds
    peak = 0
    procs = tree(pid)
    n = 0
    while time.monotonic() < end:
        if n % 10 == 0:  # a new worker may appear; re-walk once a second
            procs = tree(pid)
        rss = 0
        for p in procs:
            try:
                with open(f"/proc/{p}/statm") as f:
                    rss += int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
            except OSError:
                pass
        peak = max(peak, rss)
        n += 1
        time.sleep(0.1)
    print(peak)


def _headers(auth):
    h = {"Content-Type": "application/json"}
    if auth:
        h["Authorization"] = f"Bearer {auth}"
    return h


def check(port, path, auth, body_file, kind):
    body = open(body_file, "rb").read()
    conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=60)
    conn.request("POST", path, body, _headers(auth))
    resp = conn.getresponse()
    data = resp.read()
    ok = resp.status == 200
    if ok and kind == "json":
        try:
            ok = "usage" in json.loads(data) and bool(json.loads(data).get("choices"))
        except ValueError:
            ok = False
    elif ok:
        ok = b"data: [DONE]" in data or b"data:[DONE]" in data
    if not ok:
        print(f"HTTP {resp.status}: {data[:600]!r}")
        sys.exit(1)


def stream(port, path, auth, body_file, n):
    body = open(body_file, "rb").read()
    headers = _headers(auth)
    conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=60)
    ttfb, first, errors = [], [], 0
    for i in range(n + 5):  # 5 unmeasured requests open the connection and warm up
        t0 = time.perf_counter()
        try:
            conn.request("POST", path, body, headers)
            resp = conn.getresponse()
            t1 = time.perf_counter()
            t2 = None
            done = False
            while True:
                line = resp.readline()
                if not line:
                    break
                if t2 is None and line.startswith(b"data:"):
                    t2 = time.perf_counter()
                if line.startswith(b"data: [DONE]") or line.startswith(b"data:[DONE]"):
                    done = True
            resp.read()
            if resp.status != 200 or t2 is None or not done:
                raise ValueError(f"status {resp.status}, done={done}")
        except (OSError, ValueError, http.client.HTTPException) as e:
            errors += 1
            if errors <= 3:
                print(f"stream request failed: {e}", file=sys.stderr)
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=60)
            continue
        if i >= 5:
            ttfb.append((t1 - t0) * 1e6)
            first.append((t2 - t0) * 1e6)
    med = lambda xs: statistics.median(xs) if xs else float("nan")  # noqa: E731
    print(f"BENCH n={len(first)} ttfb_us={med(ttfb):.1f} first_data_us={med(first):.1f} errors={errors}")


def sql(db, statement):
    c = sqlite3.connect(db, timeout=30)
    cur = c.execute(statement)
    c.commit()
    print(cur.rowcount)


# ---------------------------------------------------------------- report

TARGETS = ["direct", "nginx", "ops-center", "litellm"]


def report(path):
    rows = {}  # (target, metric) -> [values over rounds]
    once = {}  # (target, metric) -> value (round 0: idle, lifetime HWM)
    meta = {}
    for line in open(path):
        parts = line.rstrip("\n").split("\t")
        if len(parts) != 4:
            continue
        rnd, target, metric, value = parts
        if rnd == "meta":
            meta[metric] = value
            continue
        try:
            v = float(value)
        except ValueError:
            continue
        if rnd == "0":
            once[(target, metric)] = v
        else:
            rows.setdefault((target, metric), []).append(v)

    def med(t, m):
        xs = rows.get((t, m))
        return statistics.median(xs) if xs else None

    def total(t, m):
        xs = rows.get((t, m))
        return sum(xs) if xs else None

    def peak(t, m):
        xs = rows.get((t, m))
        return max(xs) if xs else None

    def f(v, fmt="{:.3f}"):
        return "n/a" if v is None else fmt.format(v)

    def sign(v, fmt="{:+.3f}"):
        return "n/a" if v is None else fmt.format(v)

    present = [t for t in TARGETS if any(k[0] == t for k in list(rows) + list(once))]
    d50, d99 = med("direct", "lat_p50_us"), med("direct", "lat_p99_us")
    dfirst = med("direct", "first_data_us")
    out = []
    out.append(f"### AI gateway benchmark ({meta.get('when', '')})\n")
    out.append(
        f"{meta.get('rounds', '?')} interleaved rounds, medians shown; latency: wrk 1 thread 1 connection "
        f"{meta.get('duration', '?')} s; throughput: wrk {meta.get('threads', '?')} threads "
        f"{meta.get('connections', '?')} connections {meta.get('duration', '?')} s; stream: "
        f"{meta.get('stream_requests', '?')} requests on one connection. "
        f"Machine: {meta.get('cpus', '?')} CPUs, {meta.get('cpu_model', '?')}. ops-center binary: "
        f"`{meta.get('ops_bin', 'n/a')}`.\n"
    )
    if "/debug/" in meta.get("ops_bin", ""):
        out.append("**The ops-center binary is a debug build: its figures and verdicts say nothing about "
                   "a release build.**\n")
    out.append("| target | p50 ms | p99 ms | added p50 ms | added p99 ms | req/s | CPU ms/req "
               "| RSS idle MiB | RSS peak MiB | stream TTFB ms | added TTFB ms | errors |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for t in present:
        p50, p99 = med(t, "lat_p50_us"), med(t, "lat_p99_us")
        a50 = None if p50 is None or d50 is None or t == "direct" else (p50 - d50) / 1000
        a99 = None if p99 is None or d99 is None or t == "direct" else (p99 - d99) / 1000
        first = med(t, "first_data_us")
        afirst = None if first is None or dfirst is None or t == "direct" else (first - dfirst) / 1000
        idle = once.get((t, "idle_rss_kib"))
        pk = peak(t, "peak_rss_kib")
        errs = sum(total(t, m) or 0 for m in ("lat_errors", "tput_errors", "stream_errors"))
        out.append("| " + " | ".join([
            t,
            f(None if p50 is None else p50 / 1000),
            f(None if p99 is None else p99 / 1000),
            "—" if t == "direct" else sign(a50),
            "—" if t == "direct" else sign(a99),
            f(med(t, "tput_rps"), "{:,.0f}"),
            f(med(t, "cpu_ms_per_req"), "{:.4f}"),
            f(None if idle is None else idle / 1024, "{:.1f}"),
            f(None if pk is None else pk / 1024, "{:.1f}"),
            f(None if first is None else first / 1000),
            "—" if t == "direct" else sign(afirst),
            f"{errs:.0f}",
        ]) + " |")
    out.append("")
    out.append("CPU ms/req and RSS are those of the named process and its children only (for "
               "`direct`: the mock nginx); RSS peak is the largest sampled during the throughput "
               "phases; stream TTFB is the time to the first `data:` line.\n")

    # goals (from the project's issue)
    goals = []

    def goal(name, value, ok, target_text):
        if value is None:
            goals.append(f"| {name} | n/a | {target_text} | not measured |")
        else:
            goals.append(f"| {name} | {value} | {target_text} | {'PASS' if ok else 'FAIL'} |")

    o = "ops-center"
    cpu_o, cpu_n = med(o, "cpu_ms_per_req"), med("nginx", "cpu_ms_per_req")
    if cpu_o is not None and cpu_n:
        r = cpu_o / cpu_n
        goal("ops-center CPU/req vs nginx", f"{r:.2f}×", r <= 3, "≤ 3×")
    else:
        goal("ops-center CPU/req vs nginx", None, False, "≤ 3×")
    p50, p99 = med(o, "lat_p50_us"), med(o, "lat_p99_us")
    if p50 is not None and d50 is not None:
        a = (p50 - d50) / 1000
        goal("ops-center added latency p50", f"{a:.3f} ms", a <= 0.2, "≤ 0.2 ms")
        a = (p99 - d99) / 1000
        goal("ops-center added latency p99", f"{a:.3f} ms", a <= 0.5, "≤ 0.5 ms")
    else:
        goal("ops-center added latency p50", None, False, "≤ 0.2 ms")
        goal("ops-center added latency p99", None, False, "≤ 0.5 ms")
    rps_o, rps_l = med(o, "tput_rps"), med("litellm", "tput_rps")
    goal("ops-center req/s", None if rps_o is None else f"{rps_o:,.0f}", (rps_o or 0) >= 10000, "≥ 10,000")
    if rps_o is not None and rps_l:
        r = rps_o / rps_l
        goal("ops-center req/s vs LiteLLM", f"{r:,.1f}×", r >= 100, "≥ 100×")
    else:
        goal("ops-center req/s vs LiteLLM", None, False, "≥ 100×")
    idle = once.get((o, "idle_rss_kib"))
    goal("ops-center RSS idle", None if idle is None else f"{idle / 1024:.1f} MiB",
         idle is not None and idle / 1024 <= 64, "≤ 64 MiB")
    pk = peak(o, "peak_rss_kib")
    goal("ops-center RSS under load", None if pk is None else f"{pk / 1024:.1f} MiB",
         pk is not None and pk / 1024 <= 100, "≤ 100 MiB")
    out.append("| goal | measured | target | verdict |")
    out.append("|---|---:|---:|---|")
    out.extend(goals)
    out.append("")
    out.append("Per round (p50 µs / p99 µs / req/s / CPU ms/req / first data µs):\n")
    for t in present:
        vals = []
        for i in range(len(rows.get((t, "lat_p50_us"), []))):
            def at(m):
                xs = rows.get((t, m), [])
                return xs[i] if i < len(xs) else float("nan")
            vals.append(f"{at('lat_p50_us'):.0f}/{at('lat_p99_us'):.0f}/{at('tput_rps'):.0f}/"
                        f"{at('cpu_ms_per_req'):.4f}/{at('first_data_us'):.0f}")
        out.append(f"- {t}: " + "; ".join(vals))
    print("\n".join(out))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "ports":
        ports(int(args[0]))
    elif cmd == "tree":
        print("\n".join(str(p) for p in tree(args[0])))
    elif cmd == "cpu":
        print(cpu(args[0]))
    elif cmd == "mem":
        print(*mem(args[0]))
    elif cmd == "sample":
        sample(args[0], float(args[1]))
    elif cmd == "check":
        check(*args)
    elif cmd == "stream":
        stream(args[0], args[1], args[2], args[3], int(args[4]))
    elif cmd == "json":
        v = json.load(sys.stdin)
        for k in args[0].split("."):
            v = v[k]
        print(v)
    elif cmd == "sql":
        sql(args[0], args[1])
    elif cmd == "report":
        report(args[0])
    elif cmd == "ticks":
        print(TICK)
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()

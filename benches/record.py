#!/usr/bin/env python3
"""Run a benchmark command and record its criterion figures in benches/record/.

Usage (from the crate root):

    python3 benches/record.py NAME -- cargo bench --bench ingest

Writes benches/record/<UTC date>-NAME.csv: one row per benchmark measured by the command, with
the command, commit, CPU (lscpu model), rustc, features and RUSTFLAGS, the workload that the
bench declared (rules, posts, bytes, matches per post; see benches/common/mod.rs), and the
figures: median time per iteration with criterion's confidence bounds, and the derived
posts/s (elements/s) and MB/s when the bench set a throughput.
"""

import csv
import datetime
import json
import os
import pathlib
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
CRITERION = ROOT / "target" / "criterion"
COLUMNS = [
    "date", "commit", "cpu", "rustc", "features", "rustflags", "command", "group", "bench",
    "workload_rules", "workload_posts", "workload_bytes", "matches_per_post", "workload_note",
    "median_ns", "lower_ns", "upper_ns", "elements_per_iter", "bytes_per_iter",
    "elements_per_s", "mb_per_s", "load_avg", "extra",
]


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT).stdout.strip()


def cpu_model():
    for line in run(["lscpu"]).splitlines():
        if line.startswith("Model name:"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def features_of(cmd):
    feats = []
    for i, arg in enumerate(cmd):
        if arg in ("--features", "-F") and i + 1 < len(cmd):
            feats.append(cmd[i + 1])
        elif arg.startswith("--features="):
            feats.append(arg.split("=", 1)[1])
        elif arg == "--no-default-features":
            feats.append("no-default")
    return " ".join(feats) or "default"


def throughput(bench_json):
    tp = bench_json.get("throughput") or {}
    if "ElementsAndBytes" in tp:
        return tp["ElementsAndBytes"].get("elements"), tp["ElementsAndBytes"].get("bytes")
    if "Elements" in tp:
        return tp["Elements"], None
    if "Bytes" in tp:
        return None, tp["Bytes"]
    if "BytesDecimal" in tp:
        return None, tp["BytesDecimal"]
    return None, None


def main(argv):
    if len(argv) < 3 or argv[1] != "--":
        sys.exit(__doc__)
    name, cmd = argv[0], argv[2:]
    start = time.time()
    load_start = os.getloadavg()
    status = subprocess.call(cmd, cwd=ROOT)
    load_end = os.getloadavg()
    if status != 0:
        sys.exit(f"record.py: the command failed with status {status}; nothing recorded")
    now = datetime.datetime.now(datetime.timezone.utc)
    env = {
        "date": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": run(["git", "rev-parse", "--short=12", "HEAD"])
        + ("-dirty" if run(["git", "status", "--porcelain", "--untracked-files=no"]) else ""),
        "cpu": cpu_model(),
        "rustc": run(["rustc", "--version"]),
        "features": features_of(cmd),
        "rustflags": os.environ.get("RUSTFLAGS", ""),
        "command": " ".join(cmd),
        # The machine is shared: its load average (1, 5, 15 min) when the run started and ended.
        "load_avg": "{:.2}/{:.2}/{:.2} -> {:.2}/{:.2}/{:.2}".format(*load_start, *load_end),
    }
    rows = []
    for est in sorted(CRITERION.glob("**/new/estimates.json")):
        if est.stat().st_mtime < start:
            continue
        bench_dir = est.parent.parent
        bench_json = json.loads((est.parent / "benchmark.json").read_text())
        estimates = json.loads(est.read_text())
        group = bench_json.get("group_id", "")
        workload = {}
        wl_file = CRITERION / "workloads" / f"{group}.json"
        if wl_file.exists():
            workload = json.loads(wl_file.read_text())
        median = estimates["median"]
        elements, nbytes = throughput(bench_json)
        secs = median["point_estimate"] / 1e9
        rows.append({
            **env,
            "group": group,
            "bench": bench_json.get("title", bench_dir.name),
            "workload_rules": workload.get("rules", ""),
            "workload_posts": workload.get("posts", ""),
            "workload_bytes": workload.get("bytes", ""),
            "matches_per_post": workload.get("matches_per_post", ""),
            "workload_note": workload.get("note", ""),
            "median_ns": f"{median['point_estimate']:.1f}",
            "lower_ns": f"{median['confidence_interval']['lower_bound']:.1f}",
            "upper_ns": f"{median['confidence_interval']['upper_bound']:.1f}",
            "elements_per_iter": elements or "",
            "bytes_per_iter": nbytes or "",
            "elements_per_s": f"{elements / secs:.0f}" if elements else "",
            "mb_per_s": f"{nbytes / secs / 1e6:.1f}" if nbytes else "",
        })
    # Benches that are not criterion's (percentiles, multi-threaded runs) write their rows as
    # CSV in target/criterion/extra/: group, bench, workload_rules, median_ns, extra.
    for extra in sorted((CRITERION / "extra").glob("*.csv")):
        if extra.stat().st_mtime < start:
            continue
        with extra.open(newline="") as f:
            for r in csv.DictReader(f):
                rows.append({**env, **{k: v for k, v in r.items() if k in COLUMNS}})
    if not rows:
        sys.exit("record.py: the command measured no benchmark; nothing recorded")
    out = ROOT / "benches" / "record" / f"{now.strftime('%Y-%m-%dT%H%M')}-{name}.csv"
    with out.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    for r in rows:
        print(f"{r['group']}/{r['bench']}: median {float(r['median_ns'])/1e6:.3f} ms"
              f"  {r.get('elements_per_s') or '-'} elem/s  {r.get('mb_per_s') or '-'} MB/s"
              f"  {r.get('extra') or ''}")
    print(f"recorded {len(rows)} rows in {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main(sys.argv[1:])

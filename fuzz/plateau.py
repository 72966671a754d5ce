#!/usr/bin/env python3
"""Did a fuzz run stop finding new code of the crate? Source coverage of its corpus by time.

    python3 fuzz/plateau.py <target> --log <run.log> [--max-len N]
    python3 fuzz/plateau.py <target> --start <unix time> --end <unix time>

libFuzzer's `cov:` counter counts edges anywhere in the binary: the standard library and the
dependencies as much as the crate. This script answers the same question for the crate's own
code (`src/`): it runs the corpus as it stood at three moments of a run (its start, two thirds,
its end; a corpus file belongs to the moment after its modification time) through the target
built with `-Cinstrument-coverage` (`cargo fuzz coverage`), and reports the lines and regions of
`src/` covered at each, then the lines first covered in the last third. A run has plateaued on
the crate when that list is empty.

`--log` reads the run's start and end from a libFuzzer log whose lines are prefixed with a
unix time, as made by

    cargo fuzz run -s none <target> fuzz/corpus/<target> -- -max_total_time=3600 <options> 2>&1 |
        awk '{ print strftime("%s"), $0; fflush() }' > run.log

Needs the `llvm-tools` rustup component (`rustup component add llvm-tools`). Unless `--bin` names
it, the coverage build is made first (`cargo fuzz coverage -s none <target>` on a one-input
corpus).
Inputs longer than `--max-len` (default 1 MB) are truncated, as libFuzzer does.
"""

import argparse
import functools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict

FUZZ = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(FUZZ)
SRC = os.path.join(ROOT, "src")


@functools.cache
def host():
    vv = subprocess.run(["rustc", "-vV"], capture_output=True, text=True, check=True).stdout
    return re.search(r"^host: (\S+)$", vv, re.M)[1]


@functools.cache
def llvm_tool(name):
    sysroot = subprocess.run(["rustc", "--print", "sysroot"], capture_output=True, text=True,
                             check=True).stdout.strip()
    path = os.path.join(sysroot, "lib", "rustlib", host(), "bin", name)
    if not os.path.exists(path):
        sys.exit(f"{path} missing: run `rustup component add llvm-tools`")
    return path


def run_times(log):
    times = []
    with open(log, errors="replace") as f:
        for line in f:
            m = re.match(r"^(\d+) .*#\d+\s+\w+\s+cov:", line)
            if m:
                times.append(int(m[1]))
    if not times:
        sys.exit(f"{log}: no time-stamped libFuzzer status lines")
    return times[0], times[-1]


def build(target):
    # cargo fuzz coverage builds, then runs a corpus: give it one trivial input.
    seed = tempfile.mkdtemp()
    with open(os.path.join(seed, "one"), "w") as f:
        f.write("x")
    subprocess.run(["cargo", "fuzz", "coverage", "-s", "none", target, seed], cwd=FUZZ,
                   check=True)
    return os.path.join(FUZZ, "target", host(), "coverage", host(), "release", target)


def coverage(binary, files, max_len, work):
    """Lines (file, number) and the (covered, total) regions of src/ reached by `files`."""
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.join(work, "in"))
    os.makedirs(os.path.join(work, "prof"))
    for path in files:
        os.link(path, os.path.join(work, "in", os.path.basename(path)))
    env = dict(os.environ, LLVM_PROFILE_FILE=os.path.join(work, "prof", "%p-%m.profraw"))
    # -runs=0: load (run) every input once, then exit.
    subprocess.run([binary, "-runs=0", f"-max_len={max_len}", os.path.join(work, "in")],
                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    profdata = os.path.join(work, "merged.profdata")
    raws = [os.path.join(work, "prof", p) for p in os.listdir(os.path.join(work, "prof"))]
    subprocess.run([llvm_tool("llvm-profdata"), "merge", "-sparse", *raws, "-o", profdata],
                   check=True)
    cov = [llvm_tool("llvm-cov"), "export", binary, f"-instr-profile={profdata}"]
    lcov = subprocess.run(cov + ["-format=lcov", SRC], capture_output=True, text=True,
                          check=True).stdout
    lines, source = set(), None
    for line in lcov.splitlines():
        if line.startswith("SF:"):
            source = os.path.relpath(line[3:], ROOT)
        elif line.startswith("DA:"):
            number, hits = line[3:].split(",")[:2]
            if int(hits) > 0:
                lines.add((source, int(number)))
    totals = json.loads(subprocess.run(cov + ["-summary-only", SRC], capture_output=True,
                                       text=True, check=True).stdout)["data"][0]["totals"]
    return lines, (totals["regions"]["covered"], totals["regions"]["count"])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("target")
    p.add_argument("--log", help="time-stamped libFuzzer log of the run")
    p.add_argument("--start", type=int, help="unix time the run started")
    p.add_argument("--end", type=int, help="unix time the run ended")
    p.add_argument("--corpus", help="default: fuzz/corpus/<target>")
    p.add_argument("--bin", help="coverage build of the target (default: build it)")
    p.add_argument("--max-len", type=int, default=1 << 20)
    a = p.parse_args()
    if a.log:
        start, end = run_times(a.log)
    elif a.start and a.end:
        start, end = a.start, a.end
    else:
        p.error("give --log, or --start and --end")
    corpus = a.corpus or os.path.join(FUZZ, "corpus", a.target)
    binary = a.bin or build(a.target)
    files = [(os.path.getmtime(os.path.join(corpus, f)), os.path.join(corpus, f))
             for f in os.listdir(corpus)]
    cuts = [("start", start - 1), ("two thirds", start + 2 * (end - start) / 3), ("end", end + 1)]
    work = tempfile.mkdtemp(prefix=f"plateau-{a.target}-")
    seen = []
    for name, cut in cuts:
        chosen = [path for mtime, path in files if mtime <= cut]
        lines, (covered, regions) = coverage(binary, chosen, a.max_len, work)
        seen.append(lines)
        print(f"{name:>10} ({cut - start:+.0f} s): {len(chosen)} inputs, {len(lines)} lines and "
              f"{covered} of {regions} regions of src/ covered")
    shutil.rmtree(work, ignore_errors=True)
    late = defaultdict(list)
    for source, number in sorted(seen[2] - seen[1]):
        late[source].append(number)
    print(f"lines first covered in the last third: {sum(map(len, late.values()))}")
    for source, numbers in late.items():
        print(f"  {source}: {', '.join(map(str, numbers))}")


if __name__ == "__main__":
    main()

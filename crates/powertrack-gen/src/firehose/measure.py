#!/usr/bin/env python3
"""Figures of the real corpus reweighted to the firehose kind mix: the size and entity-share
targets of `stats.rs` (`FIREHOSE_SIZE`, `FIREHOSE_WITH`). The corpus is search- and timeline-biased (25 % retweets); the
firehose default is 50 % retweets, and a retweet embeds a whole second post, so its lines are
about twice as long. Each corpus line is weighted by target share / corpus share of its kind.

    python3 crates/powertrack-gen/src/firehose/measure.py PATH/all_v11_native.ndjson

(the real corpus of 3,008 v1.1 posts that `stats.rs` describes; not distributed with the crate).

The other corpus figures (`CORPUS`) come from `powertrack gen stats --raw` on the same file.
"""
import json
import sys
from collections import Counter

TARGET = {"orig": 0.25, "rt": 0.50, "reply": 0.20, "quote": 0.05}


def kind(t):
    if t.get("retweeted_status"):
        return "rt"
    if t.get("is_quote_status") and t.get("quoted_status"):
        return "quote"
    if t.get("in_reply_to_status_id_str") or t.get("in_reply_to_status_id"):
        return "reply"
    return "orig"


def main(path):
    rows = []
    with open(path, "rb") as f:
        for line in f:
            line = line.rstrip(b"\n").rstrip(b"\r")
            t = json.loads(line)
            ents = (t.get("extended_tweet") or {}).get("entities") or t.get("entities") or {}
            has = tuple(bool(ents.get(k)) for k in ("hashtags", "user_mentions", "urls"))
            rows.append((len(line), kind(t), has))
    count = Counter(k for _, k, _ in rows)
    n = len(rows)
    w = sorted((s, TARGET[k] / (count[k] / n)) for s, k, _ in rows)
    total = sum(x for _, x in w)

    def pct(q):
        acc = 0.0
        for s, x in w:
            acc += x
            if acc >= q * total:
                return s
        return w[-1][0]

    mean = sum(s * x for s, x in w) / total
    print(f"size p10 {pct(0.1)} p50 {pct(0.5)} p90 {pct(0.9)} mean {mean:.0f}")
    for i, name in enumerate(("hashtag", "mention", "url")):
        share = sum(TARGET[k] / (count[k] / n) for _, k, h in rows if h[i]) / total
        print(f"with {name} {share:.3f}")


if __name__ == "__main__":
    main(sys.argv[1])

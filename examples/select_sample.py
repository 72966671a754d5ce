#!/usr/bin/env python3
"""Selects examples/firehose.ndjson, the bundled sample firehose, from the shared corpus.

Usage (from the crate root, with ../shared present):  python3 examples/select_sample.py

Deterministic: it takes fixed, feature-driven picks from the real corpus so that the sample
exercises as many operator families as real data allows, in all three formats, with a few real
stream messages that are not posts. It writes the sample and examples/firehose.sources.tsv
(line -> source file and id). The corpus stays in ../shared; only these ≤ 200 lines are bundled.
"""
import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
TWEETS = ROOT.parent / "shared" / "data" / "tweets"


def lines(rel):
    with open(TWEETS / rel, encoding="utf-8") as f:
        return [l.rstrip("\r\n") for l in f if l.strip()]


def main():
    picked = []  # (source, id, line)
    seen = set()

    def take(src, ident, line):
        if ident not in seen:
            seen.add(ident)
            picked.append((src, ident, line))

    native = lines("combined/all_v11_native.ndjson")
    sources = [l.split("\t") for l in lines("combined/all_v11_native.sources.tsv")[1:]]
    tests = [
        ("retweet", lambda t: "retweeted_status" in t, 14),
        ("quote", lambda t: t.get("quoted_status"), 8),
        ("reply", lambda t: t.get("in_reply_to_status_id_str"), 8),
        ("place", lambda t: t.get("place"), 8),
        ("coordinates", lambda t: t.get("coordinates"), 5),
        ("media", lambda t: t.get("extended_entities"), 8),
        ("extended", lambda t: t.get("extended_tweet"), 6),
        ("hashtags", lambda t: (t.get("entities") or {}).get("hashtags"), 8),
        ("urls", lambda t: (t.get("entities") or {}).get("urls"), 8),
        ("profile geo", lambda t: (t.get("user") or {}).get("derived"), 4),
        ("symbols", lambda t: (t.get("entities") or {}).get("symbols"), 1),
        ("verified", lambda t: (t.get("user") or {}).get("verified"), 4),
    ]
    parsed = [json.loads(l) for l in native]
    for name, test, n in tests:
        got = 0
        for i, t in enumerate(parsed):
            if got == n:
                break
            if test(t) and t["id_str"] not in seen:
                take(sources[i][4], t["id_str"], native[i])
                got += 1
    # A spread of languages: the first tweets of each language code.
    by_lang = {}
    for i, t in enumerate(parsed):
        by_lang.setdefault(t.get("lang"), []).append(i)
    for lang in sorted(k for k in by_lang if k):
        for i in by_lang[lang][:2]:
            take(sources[i][4], parsed[i]["id_str"], native[i])
    # Fill the native part up to 110 with an even stride through the corpus.
    stride = len(native) // 60
    i = 0
    while len(picked) < 110 and i < len(native):
        take(sources[i][4], parsed[i]["id_str"], native[i])
        i += stride
    # Activity Streams: the 25 tweet_parser examples (the same tweets exist natively too).
    for l in lines("twitterdev-tweet_parser/activity_streams_examples.json")[:20]:
        take("twitterdev-tweet_parser/activity_streams_examples.json", "as:" + json.loads(l)["id"], l)
    # API v2 filtered-stream shape: every 25th tweet.
    v2 = lines("twarc-csv-v2/twarc-csv_v2_stream_like.ndjson")
    for l in v2[::25][:45]:
        take("twarc-csv-v2/twarc-csv_v2_stream_like.ndjson", "v2:" + json.loads(l)["data"]["id"], l)
    # Real stream messages that are not posts (a delete, a limit notice...), and keep-alives.
    extra = []
    for l in lines("sferik-twitter/orig/track_streaming_user.json"):
        try:
            obj = json.loads(l)
        except ValueError:
            continue
        if isinstance(obj, dict) and ("delete" in obj or "limit" in obj or "warning" in obj):
            extra.append(("sferik-twitter/orig/track_streaming_user.json", next(iter(obj)), l))
    picked.extend(extra[:3])
    assert len(picked) <= 200, len(picked)
    out = ROOT / "examples" / "firehose.ndjson"
    with open(out, "w", encoding="utf-8", newline="") as f:
        for k, (_, _, l) in enumerate(picked):
            f.write(l + ("\r\n" if k % 50 == 49 else "\n"))
            if k == 100:
                f.write("\r\n")  # a keep-alive
    with open(ROOT / "examples" / "firehose.sources.tsv", "w", encoding="utf-8") as f:
        f.write("line\tsource\tid\n")
        n = 0
        for k, (src, ident, _) in enumerate(picked):
            n += 1
            f.write(f"{n}\t{src}\t{ident}\n")
            if k == 100:
                n += 1
                f.write(f"{n}\t(keep-alive)\t\n")
    print(f"{len(picked)} lines (+1 keep-alive) -> {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

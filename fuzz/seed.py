#!/usr/bin/env python3
"""Seed corpora for the fuzz targets (see fuzz/README.md).

    python3 fuzz/seed.py              # fuzz/corpus/<target>/ for every target (not committed)
    python3 fuzz/seed.py --committed  # rewrite fuzz/seeds/<target>/ (small, committed, for CI)
    python3 fuzz/seed.py parse ingest # only these targets

Sources: grammar/examples.txt (rules), examples/ (rules.json and the
firehose sample), tests/data/ (posts, matching cases, output lines) and, when present, the real
corpus under ../shared/data/tweets (never copied into the repository: only into fuzz/corpus/,
which is ignored). Every target's corpus also gets the committed seeds of fuzz/seeds/<target>/,
so a target added later (e.g. `live`) is seeded as soon as it has a fuzz/seeds/ directory.

Each target's first input byte (where it has one) chooses its mode; the seeds put real data
behind the raw-mode byte and random bytes behind the structure-aware ones. Deterministic: the
same sources give the same files.
"""

import json
import os
import random
import re
import shutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FUZZ = os.path.join(ROOT, 'fuzz')
SHARED = os.path.join(os.path.dirname(ROOT), 'shared', 'data', 'tweets')


def read(path, mode='rb'):
    with open(os.path.join(ROOT, path), mode) as f:
        return f.read()


def targets():
    toml = read('fuzz/Cargo.toml', 'r')
    return re.findall(r'\[\[bin\]\]\s*name\s*=\s*"([^"]+)"', toml)


def example_rules():
    """Every rule of grammar/examples.txt (valid and invalid), then examples/rules.json."""
    rules = []
    for line in read('grammar/examples.txt', 'r').splitlines():
        if line.startswith('rule: '):
            rules.append(line[len('rule: '):])
        elif line == 'rule:':
            rules.append('')
    rules += [r['value'] for r in json.loads(read('examples/rules.json'))['rules']]
    return rules


def firehose_lines():
    return [l for l in read('examples/firehose.ndjson').split(b'\n') if l.strip()]


def test_posts():
    out = []
    d = os.path.join(ROOT, 'tests/data/post')
    for name in sorted(os.listdir(d)):
        if name.endswith('.json'):
            out.append(read('tests/data/post/' + name).strip())
    for name in ['native', 'activity_streams', 'v2']:
        out += [l for l in read('tests/data/output/%s.ndjson' % name).split(b'\n') if l.strip()]
    for c in json.loads(read('tests/data/matching.json'))['cases']:
        for p in c['match'] + c['no_match']:
            if isinstance(p, dict):
                out.append(json.dumps(p, ensure_ascii=False).encode())
    return out


def shared_lines(files, per_file, max_len, rng):
    """Lines of the real corpus, if it is there (a sample of each file)."""
    out = []
    for f in files:
        path = os.path.join(SHARED, f)
        if not os.path.exists(path):
            continue
        with open(path, 'rb') as fh:
            lines = [l.rstrip(b'\n') for l in fh if l.strip()]
        lines = [l for l in lines if len(l) < max_len]
        out += lines if len(lines) <= per_file else rng.sample(lines, per_file)
    return out


def tweet_texts(lines):
    out = []
    for l in lines:
        try:
            v = json.loads(l)
        except ValueError:
            continue
        for k in ('full_text', 'text', 'body'):
            if isinstance(v.get(k), str):
                out.append(v[k])
                break
        else:
            if isinstance(v.get('data'), dict) and isinstance(v['data'].get('text'), str):
                out.append(v['data']['text'])
    return out


def rand(rng, lo, hi):
    return bytes(rng.randrange(256) for _ in range(rng.randrange(lo, hi)))


TOKENIZER_LINES = [
    'Snow day! #snow @jack $TSLA https://t.co/abc café CAFÉ naïve',
    'Straße STRASSE ẞ İstanbul ıi ǅ Σίσυφος ΣΊΣΥΦΟΣ ﬁne K Å µ',
    '中文日本語ひらがなカタカナ한국어 mixed中文words',
    '👍🏽👨‍👩‍👧🇫🇷🇺🇸1️⃣#️⃣❤️☺︎🏴‍☠️🏳️‍🌈 a👍b',
    'don’t can\'t rock-n-roll e-mail x.y 3.14 1,000 v2.0 __init__',
    'Москва Ελλάδα עברית العربية हिन्दी ไทย ქართული',
    'tab\tnbsp\u00a0zwsp\u200bzwj\u200dideo\u3000line\u2028end',
    'cafe\u0301 n\u0303 I\u0307 \u0301lead',
]


def gen(target, committed):
    """(name, bytes) seeds of one target."""
    rng = random.Random(target)
    shared = not committed
    seeds = []
    if target == 'parse':
        rules = example_rules()
        if committed:
            rules = rules[::4]
        seeds += [('rule%03d' % i, b'\x00' + r.encode()) for i, r in enumerate(rules)]
        n = 8 if committed else 60
        seeds += [('pieces%02d' % i, b'\x40' + rand(rng, 20, 300)) for i in range(n)]
        seeds += [('tree%02d' % i, b'\xc0' + rand(rng, 20, 300)) for i in range(n)]
    elif target == 'roundtrip':
        n = 10 if committed else 80
        seeds += [('tree%02d' % i, rand(rng, 16, 400)) for i in range(n)]
    elif target == 'rules_body':
        rules = example_rules()
        bodies = [read('tests/data/spec4_validation_request.json').strip(), read('examples/rules.json').strip()]
        step = 8 if committed else 1
        for i in range(0, len(rules), 20 * step):
            chunk = [{'value': r, 'tag': 't%d' % j} for j, r in enumerate(rules[i:i + 20])]
            bodies.append(json.dumps({'rules': chunk}, ensure_ascii=False).encode())
        bodies += [b'{"rule_ids":["1","18446744073709551615"]}', b'{"rule_ids":[1,2]}', b'{"rules":[]}', b'{}']
        # `Input::Raw` is variant 0 of the derived enum: a first u32 (little end) of 0 chooses it,
        # then a length prefix at the end of the data (arbitrary's take_rest takes all).
        seeds += [('body%02d' % i, b'\x00\x00\x00\x00' + b) for i, b in enumerate(bodies) if len(b) < 60000]
        n = 6 if committed else 60
        seeds += [('struct%02d' % i, rand(rng, 16, 400)) for i in range(n)]
    elif target == 'ingest':
        lines = test_posts() + (firehose_lines()[::16] if committed else firehose_lines())
        if shared:
            lines += shared_lines(['combined/all_v11_native.ndjson', 'twarc-csv-v2/twarc-csv_v2_stream_like.ndjson',
                                   'twitterdev-tweet_parser/activity_streams_examples.json',
                                   'twitterdev-tweet_parser/original_format_examples.json',
                                   'sferik-twitter/orig/track_streaming_user.json'], 60, 20000, rng)
        if committed:
            lines = [l for l in lines if len(l) < 2500][:24]
        seeds += [('post%04d' % i, b'\x00' + l) for i, l in enumerate(lines)]
        seeds.append(('multi', b'\x00' + b'\n'.join(lines[:3])))
        n = 10 if committed else 80
        seeds += [('skeleton%02d' % i, b'\x80' + rand(rng, 50, 1500)) for i in range(n)]
    elif target == 'tokenizer':
        texts = TOKENIZER_LINES + tweet_texts(firehose_lines()[::4 if committed else 1])
        if shared:
            texts += tweet_texts(shared_lines(['combined/all_v11_native.ndjson'], 400, 20000, rng))
        seeds += [('text%04d' % i, b'\x00' + t.encode()) for i, t in enumerate(texts)]
        n = 10 if committed else 80
        seeds += [('mixed%02d' % i, b'\x01' + rand(rng, 10, 300)) for i in range(n)]
    elif target == 'match_vs_reference':
        lines = test_posts() + firehose_lines()[::8 if committed else 2]
        if shared:
            lines += shared_lines(['combined/all_v11_native.ndjson', 'twarc-csv-v2/twarc-csv_v2_stream_like.ndjson',
                                   'twitterdev-tweet_parser/activity_streams_examples.json'], 40, 12000, rng)
        lines = [l for l in lines if len(l) < 12000]
        if committed:
            lines = [l for l in lines if len(l) < 2000][:24]
        seeds += [('post%04d' % i, l) for i, l in enumerate(lines)]
        heads = [b'{"id_str":"1","text":"snow day #snow","user":{"id_str":"2","screen_name":"a"}}', b'',
                 'snow rain café'.encode()]
        n = 8 if committed else 40
        seeds += [('struct%02d' % i, rng.choice(heads) + b'\n' + rand(rng, 100, 900)) for i in range(n)]
    elif target == 'output':
        lines = [b'{"id_str":"7","text":"snow day"}',
                 b'{"id_str":"7","matching_rules":[{"tag":null,"id":1,"id_str":"1"}],"text":"x"}',
                 b'{"id":"tag:x,2005:1","verb":"post","gnip":{"matching_rules":[],"urls":[]}}',
                 b'{"id":"tag:x,2005:1","verb":"post","gnip":{}}',
                 b'{"data":{"id":"1","text":"x"},"matching_rules":[{"id":"1","tag":"t"}]}',
                 b'  { "a" : [1, {"b": "}"}] , "matching\\u005frules" : null }  \r\n',
                 b'{}', b'{"gnip":5}', b'[]']
        for name in ['native', 'activity_streams', 'v2']:
            lines += [l for l in read('tests/data/output/%s.ndjson' % name).split(b'\n') if l.strip()][:2]
        for i, l in enumerate(lines):
            for j, h in enumerate([0, 2, 8, 14]):
                seeds.append(('raw%02d_%d' % (i, j), bytes([h]) + l))
        n = 8 if committed else 30
        seeds += [('tree%02d' % i, b'\x01' + rand(rng, 50, 600)) for i in range(n)]
    return seeds


def main():
    args = sys.argv[1:]
    committed = '--committed' in args
    wanted = [a for a in args if not a.startswith('--')] or targets()
    base = os.path.join(FUZZ, 'seeds' if committed else 'corpus')
    for t in wanted:
        out = os.path.join(base, t)
        seeds = gen(t, committed)
        if committed:
            if not seeds:
                continue  # a target without a generator keeps its hand-made seeds
            shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out, exist_ok=True)
        if not committed:
            fixed = os.path.join(FUZZ, 'seeds', t)
            if os.path.isdir(fixed):
                for name in sorted(os.listdir(fixed)):
                    shutil.copyfile(os.path.join(fixed, name), os.path.join(out, 'seed-' + name))
        for name, data in seeds:
            with open(os.path.join(out, name), 'wb') as f:
                f.write(data)
        size = sum(os.path.getsize(os.path.join(out, n)) for n in os.listdir(out))
        print('%s: %d files, %d bytes in %s' % (t, len(os.listdir(out)), size, os.path.relpath(out, ROOT)))


if __name__ == '__main__':
    main()

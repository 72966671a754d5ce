#!/usr/bin/env python3
"""Derive the rule generator's compact vocabulary from the real tweet corpus.

Usage: python3 crates/powertrack-gen/src/vocab/derive.py TWEETS_DIR

Reads combined/all_v11_native.ndjson (v1.1) and twarc-csv-v2/twarc-csv_v2_stream_like.ndjson (v2)
and rewrites the *.tsv files beside this script, and the term counts the engine's compiler
reads (src/compile/freq/ at the workspace root: the words, emoji and domains lists). Output is deterministic (ties broken by value).
See README.md in this directory for the file formats.
"""
import collections
import json
import os
import re
import sys
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "..", "..", "..", "shared", "data", "tweets")
# Term counts the engine's compiler also reads (to anchor each rule on its rarest term) live in the
# engine crate; the generator includes them from there.
FREQ = os.path.join(HERE, "..", "..", "..", "..", "src", "compile", "freq")
FREQ_FILES = {"words.tsv", "url_words.tsv", "bio_words.tsv", "name_words.tsv", "location_words.tsv", "emoji.tsv", "domains.tsv"}

# PowerTrack's stop words plus the reserved words (docs/rule-language.md); never bare keywords.
STOP = set("a an and at but by com from http https if in is it its me my or rt the this to too via we www you not".split())
# Scripts written without spaces (docs/matching-semantics.md): keywords there are substrings of runs.
SPACELESS = ("CJK", "HIRAGANA", "KATAKANA", "THAI", "LAO", "KHMER", "MYANMAR")
URL_RE = re.compile(r"https?://\S+")
ENTITY_RE = re.compile(r"[@#$][\w]+")

# Per language: how many keyword types to keep (the vocabulary budget).
LANG_BUDGET = {"en": 4000, "ja": 800, "es": 600, "und": 250}
DEFAULT_BUDGET = 200


def gnip_punct(ch):
    """Characters kept out of bare keywords: those a keyword may not start with
    (docs/rule-language.md §3.1), and a few more ASCII symbols."""
    o = ord(ch)
    return (ch in "!%&\\'()*+-./;<=>?,:#@\t\r\n\"[]_$~`^|{}"
            or 0x7B <= o <= 0xBF or 0x2B0 <= o <= 0x37F or 0x2000 <= o <= 0x2BFF
            or 0xFF00 <= o <= 0xFF03 or 0xFF05 <= o <= 0xFF0F)


def is_word(ch):
    return unicodedata.category(ch)[0] in "LNM"


def is_emoji(ch):
    o = ord(ch)
    return 0x1F000 <= o <= 0x1FAFF or 0x2600 <= o <= 0x27BF


def spaceless(ch):
    try:
        name = unicodedata.name(ch)
    except ValueError:
        return False
    return name.startswith(SPACELESS)


def tokens(text):
    """Folded word tokens, and emoji clusters, of one text (docs/matching-semantics.md S11,
    S18; simplified)."""
    text = URL_RE.sub(" ", text)
    words, emoji = [], []
    cur = []
    i = 0
    while i < len(text):
        ch = text[i]
        if is_word(ch):
            cur.append(ch)
        else:
            if cur:
                words.append("".join(cur))
                cur = []
            if is_emoji(ch):
                cl = [ch]
                j = i + 1
                while j < len(text) and (text[j] in "\u200d\ufe0f" or 0x1F3FB <= ord(text[j]) <= 0x1F3FF
                                         or (text[j - 1] == "\u200d" and is_emoji(text[j]))):
                    cl.append(text[j])
                    j += 1
                emoji.append("".join(cl))
                i = j
                continue
        i += 1
    if cur:
        words.append("".join(cur))
    return [w.lower() for w in words], emoji


def split_script_runs(word):
    """A token split where spaceless and spaced scripts meet (docs/matching-semantics.md S17)."""
    runs, cur, kind = [], [], None
    for ch in word:
        k = spaceless(ch)
        if cur and k != kind:
            runs.append((kind, "".join(cur)))
            cur = []
        cur.append(ch)
        kind = k
    if cur:
        runs.append((kind, "".join(cur)))
    return runs


class Acc:
    def __init__(self):
        self.words = collections.defaultdict(collections.Counter)
        self.bigrams = collections.defaultdict(collections.Counter)
        self.emoji = collections.Counter()
        self.hashtags = collections.Counter()
        self.users = {}  # screen_name -> id
        self.user_count = collections.Counter()
        self.cashtags = collections.Counter()
        self.domains = collections.Counter()
        self.url_words = collections.Counter()
        self.sources = collections.Counter()
        self.bio_words = collections.Counter()
        self.name_words = collections.Counter()
        self.location_words = collections.Counter()
        self.places = {}
        self.place_count = collections.Counter()
        self.status_ids = collections.Counter()
        self.seen_text = set()

    def text(self, lang, text):
        lang = lang or "und"
        if text in self.seen_text:
            return
        self.seen_text.add(text)
        clean = ENTITY_RE.sub(" ", text)
        words, emoji = tokens(clean)
        self.emoji.update(emoji)
        kept = []
        for w in words:
            for sp, run in split_script_runs(w):
                if sp:
                    # Character 2- and 3-grams of spaceless runs: what a user would write as a keyword.
                    for n in (2, 3):
                        for k in range(len(run) - n + 1):
                            self.words[lang][run[k:k + n]] += 1
                else:
                    kept.append(run)
                    self.words[lang][run] += 1
        for a, b in zip(kept, kept[1:]):
            if a not in STOP or b not in STOP:
                self.bigrams[lang][a + " " + b] += 1

    def user(self, name, uid, count=True):
        if name and uid:
            self.users.setdefault(name, str(uid))
            if count:
                self.user_count[name] += 1

    def url(self, expanded):
        if not expanded:
            return
        m = re.match(r"https?://(?:www\.)?([^/?#]+)(/[^?#]*)?", expanded)
        if not m:
            return
        self.domains[m.group(1).lower()] += 1
        for w in re.split(r"[^0-9A-Za-z]+", m.group(2) or ""):
            if len(w) >= 3 and not w.isdigit() and len(w) <= 20:
                self.url_words[w.lower()] += 1

    def profile(self, desc, name, location):
        for field, acc in ((desc, self.bio_words), (name, self.name_words), (location, self.location_words)):
            if field:
                ws, _ = tokens(field)
                acc.update(w for w in ws if not any(spaceless(c) for c in w))

    def source(self, src):
        if src:
            m = re.search(r">([^<]+)<", src)
            self.sources[(m.group(1) if m else src).strip()] += 1

    def place(self, p):
        if not p or not p.get("id"):
            return
        box = ((p.get("bounding_box") or {}).get("coordinates") or [[]])[0]
        if box:
            lon = sum(c[0] for c in box) / len(box)
            lat = sum(c[1] for c in box) / len(box)
        else:
            lon = lat = 0.0
        self.places.setdefault(p["id"], (p.get("place_type", ""), p.get("name", ""), p.get("full_name", ""),
                                         p.get("country_code", ""), p.get("country", ""), lon, lat))
        self.place_count[p["id"]] += 1


def v11(acc, t, nested=False):
    full = (t.get("extended_tweet") or {}).get("full_text") or t.get("full_text") or t.get("text") or ""
    acc.text(t.get("lang"), full)
    ents = (t.get("extended_tweet") or {}).get("entities") or t.get("entities") or {}
    acc.hashtags.update(h["text"] for h in ents.get("hashtags", []))
    acc.cashtags.update(s["text"] for s in ents.get("symbols", []))
    for m in ents.get("user_mentions", []):
        acc.user(m.get("screen_name"), m.get("id_str"))
    for u in ents.get("urls", []):
        acc.url(u.get("expanded_url"))
        if (u.get("unwound") or {}).get("url"):
            acc.url(u["unwound"]["url"])
    u = t.get("user") or {}
    acc.user(u.get("screen_name"), u.get("id_str"))
    acc.profile(u.get("description"), u.get("name"), u.get("location"))
    acc.source(t.get("source"))
    acc.place(t.get("place"))
    if t.get("in_reply_to_status_id_str"):
        acc.status_ids[t["in_reply_to_status_id_str"]] += 1
        acc.user(t.get("in_reply_to_screen_name"), t.get("in_reply_to_user_id_str"))
    for k in ("retweeted_status", "quoted_status"):
        if t.get(k):
            acc.status_ids[t[k].get("id_str")] += 1
            v11(acc, t[k], True)


def v2(acc, line):
    d = line.get("data") or {}
    acc.text(d.get("lang"), d.get("text") or "")
    ents = d.get("entities") or {}
    acc.hashtags.update(h.get("tag") for h in ents.get("hashtags", []) if h.get("tag"))
    acc.cashtags.update(h.get("tag") for h in ents.get("cashtags", []) if h.get("tag"))
    for u in ents.get("urls", []):
        acc.url(u.get("unwound_url") or u.get("expanded_url"))
    acc.source(d.get("source"))
    for r in d.get("referenced_tweets") or []:
        acc.status_ids[r.get("id")] += 1
    inc = line.get("includes") or {}
    for u in inc.get("users", []):
        acc.user(u.get("username"), u.get("id"))
        acc.profile(u.get("description"), u.get("name"), u.get("location"))
    for m in ents.get("mentions", []):
        acc.user(m.get("username"), m.get("id"))


US_STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California", "CO": "Colorado",
    "CT": "Connecticut", "DE": "Delaware", "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho",
    "IL": "Illinois", "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
    "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York", "NC": "North Carolina",
    "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania",
    "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas",
    "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington", "WV": "West Virginia",
    "WI": "Wisconsin", "WY": "Wyoming", "DC": "District of Columbia",
}
COUNTIES = {
    ("Boulder", "Colorado"): "Boulder County", ("Louisville", "Colorado"): "Boulder County",
    ("Lafayette", "Colorado"): "Boulder County", ("Superior", "Colorado"): "Boulder County",
    ("Niwot", "Colorado"): "Boulder County", ("Gunbarrel", "Colorado"): "Boulder County",
    ("San Francisco", "California"): "San Francisco County", ("Palo Alto", "California"): "Santa Clara County",
    ("Los Angeles", "California"): "Los Angeles County", ("Redwood City", "California"): "San Mateo County",
    ("Manhattan", "New York"): "New York County", ("Brooklyn", "New York"): "Kings County",
    ("Denver", "Colorado"): "Denver County", ("Seattle", "Washington"): "King County",
    ("Chicago", "Illinois"): "Cook County", ("Austin", "Texas"): "Travis County",
}


def top(counter, n, keep=lambda k: True):
    items = [(k, c) for k, c in counter.items() if k and keep(k)]
    items.sort(key=lambda kc: (-kc[1], kc[0]))
    return items[:n]


def clean_field(s):
    return s.replace("\t", " ").replace("\n", " ").replace("\r", " ").strip()


def write(name, rows):
    with open(os.path.join(FREQ if name in FREQ_FILES else HERE, name), "w", encoding="utf-8", newline="\n") as f:
        for row in rows:
            f.write("\t".join(clean_field(str(x)) for x in row) + "\n")


def keyword_ok(w):
    return w not in STOP and not (w.isascii() and len(w) < 2) and is_word(w[0]) and unicodedata.category(w[0])[0] != "M" \
        and not any(gnip_punct(c) for c in w) and len(w) <= 40


def main():
    acc = Acc()
    with open(os.path.join(SHARED, "combined", "all_v11_native.ndjson"), encoding="utf-8") as f:
        for line in f:
            v11(acc, json.loads(line))
    with open(os.path.join(SHARED, "twarc-csv-v2", "twarc-csv_v2_stream_like.ndjson"), encoding="utf-8") as f:
        for line in f:
            v2(acc, json.loads(line))

    rows = []
    langs = sorted(acc.words, key=lambda l: (-sum(acc.words[l].values()), l))
    for lang in langs:
        if lang in ("zxx", "qme", "qst", "qam", "qht", "art"):
            continue
        budget = LANG_BUDGET.get(lang, DEFAULT_BUDGET)
        for w, c in top(acc.words[lang], budget, keyword_ok):
            rows.append((lang, w, c))
    write("words.tsv", rows)

    rows = []
    for lang in langs:
        if lang in ("en", "es", "pt", "fr", "de", "in", "tr", "ca", "it", "und"):
            n = 600 if lang == "en" else 60
            for b, c in top(acc.bigrams[lang], n, lambda b: all(not gnip_punct(ch) for ch in b)):
                rows.append((lang, b, c))
    write("bigrams.tsv", rows)

    write("emoji.tsv", top(acc.emoji, 300))
    write("hashtags.tsv", top(acc.hashtags, 1000, lambda h: len(h) <= 60))
    write("cashtags.tsv", top(acc.cashtags, 150, lambda s: re.fullmatch(r"[A-Za-z][A-Za-z0-9_.]{0,11}", s)))
    users = [(n, acc.users[n], c) for n, c in top(acc.user_count, 700,
                                                  lambda n: re.fullmatch(r"\w{1,15}", n, re.ASCII))]
    write("users.tsv", users)
    write("domains.tsv", top(acc.domains, 400, lambda d: re.fullmatch(r"[a-z0-9.-]+", d)))
    write("url_words.tsv", top(acc.url_words, 600, lambda w: re.fullmatch(r"[a-z0-9]+", w)))
    write("sources.tsv", top(acc.sources, 150, lambda s: '"' not in s and len(s) <= 60))
    write("bio_words.tsv", top(acc.bio_words, 800, keyword_ok))
    write("name_words.tsv", top(acc.name_words, 400, keyword_ok))
    write("location_words.tsv", top(acc.location_words, 400, keyword_ok))
    write("status_ids.tsv", top(acc.status_ids, 300, lambda s: s.isdigit()))
    places = []
    for pid, c in top(acc.place_count, 400):
        ptype, name, full, cc, country, lon, lat = acc.places[pid]
        if '"' in name or '"' in full:
            continue
        places.append((pid, ptype, name, full, cc, country, "%.6f" % lon, "%.6f" % lat, c))
    write("places.tsv", places)

    # Profile-geo strings (the corpus carries no `derived.locations`): built from the tagged
    # places — locality = city name, region = the US state its full name abbreviates or the admin
    # area's name — plus the county (subregion) of the best-known US cities, added by hand.
    geo = set()
    for pid, c in top(acc.place_count, 400):
        ptype, name, full, cc, country, lon, lat = acc.places[pid]
        if '"' in name or not cc:
            continue
        tail = full.split(", ")[-1] if ", " in full else ""
        region = US_STATES.get(tail, "") if cc == "US" else (tail if tail != country else "")
        if ptype == "admin":
            region = name
        locality = name if ptype in ("city", "neighborhood") else ""
        sub = COUNTIES.get((locality, region), "")
        geo.add((cc, region, sub, locality, "%.6f" % lon, "%.6f" % lat))
    write("profile_geo.tsv", sorted(geo))


if __name__ == "__main__":
    main()

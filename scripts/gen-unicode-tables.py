#!/usr/bin/env python3
"""Generates src/tokenize/tables.rs from the Unicode Character Database.

Usage: python3 scripts/gen-unicode-tables.py [UCD_DIR] > src/tokenize/tables.rs

UCD_DIR defaults to /usr/share/unicode (Debian's `unicode-data` package). Files read:
UnicodeData.txt (general category), Scripts.txt, PropList.txt (Regional_Indicator),
emoji/emoji-data.txt (Extended_Pictographic, Emoji_Modifier), CaseFolding.txt (statuses C and S).

Two kinds of tables come out, on purpose built differently:

* plain range tables (general category, script, emoji properties, simple case folding) that the
  reference tokenizer (src/tokenize/reference.rs) searches one code point at a time and
  interprets with its own rules, written in Rust;
* one packed two-level class table for the fast tokenizer, whose classes this script derives
  from the same properties by the rules below. The two must agree; the tests and the fuzz
  target `tokenizer` check that they do, so a mistake in either derivation shows up.
"""
import os
import re
import sys

UCD = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/unicode"
MAX = 0x110000


def data_lines(path):
    with open(os.path.join(UCD, path), encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                yield [p.strip() for p in line.split(";")]


def parse_range(s):
    if ".." in s:
        a, b = s.split("..")
        return int(a, 16), int(b, 16)
    return int(s, 16), int(s, 16)


def version():
    with open(os.path.join(UCD, "ReadMe.txt"), encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"Version (\d+\.\d+\.\d+)", text)
    if m:
        return m.group(1)
    with open(os.path.join(UCD, "emoji/emoji-data.txt"), encoding="utf-8") as f:
        m = re.search(r"Version:? (\d+\.\d+)", f.read())
    return m.group(1) if m else "unknown"


# --- general category -------------------------------------------------------------------------
GC_NAMES = ["Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Pc", "Pd", "Ps",
            "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf", "Cs",
            "Co", "Cn"]
gc = ["Cn"] * MAX
first = None
for f in data_lines("UnicodeData.txt"):
    cp = int(f[0], 16)
    if f[1].endswith(", First>"):
        first = cp
        continue
    if f[1].endswith(", Last>"):
        for c in range(first, cp + 1):
            gc[c] = f[2]
        continue
    gc[cp] = f[2]

# --- script ----------------------------------------------------------------------------------
script = ["Unknown"] * MAX
for f in data_lines("Scripts.txt"):
    a, b = parse_range(f[0])
    for c in range(a, b + 1):
        script[c] = f[1]
SCRIPT_NAMES = ["Unknown", "Common", "Inherited"] + sorted(
    set(script) - {"Unknown", "Common", "Inherited"})
SCRIPT_ID = {n: i for i, n in enumerate(SCRIPT_NAMES)}


# --- binary properties ---------------------------------------------------------------------
def prop(path, name):
    s = bytearray(MAX)
    for f in data_lines(path):
        if f[1] == name:
            a, b = parse_range(f[0])
            for c in range(a, b + 1):
                s[c] = 1
    return s


ext_pict = prop("emoji/emoji-data.txt", "Extended_Pictographic")
emoji_mod = prop("emoji/emoji-data.txt", "Emoji_Modifier")
regional = prop("PropList.txt", "Regional_Indicator")

# --- simple case folding ----------------------------------------------------------------------
fold = []
for f in data_lines("CaseFolding.txt"):
    if f[1] in ("C", "S"):
        fold.append((int(f[0], 16), int(f[2], 16)))
fold.sort()


# --- the fast tokenizer's packed classes ----------------------------------------------------
# These rules restate, for the generator, the classification documented in
# src/tokenize/mod.rs and implemented independently in src/tokenize/reference.rs.
SEP, PUNCT, WORD, MARK, JOINER, PICT, RI = range(7)
EXT = 8  # flag: extends an emoji element (marks, skin-tone modifiers, tag characters)
FOLDS = 16  # flag: simple case folding maps the code point to another one
SPACELESS_FAMILY = {"Han": "Han", "Hiragana": "Han", "Katakana": "Han", "Thai": "Thai",
                    "Lao": "Lao", "Khmer": "Khmer", "Myanmar": "Myanmar"}
# Script ids of the packed table: 0 = none (Common, Inherited, Unknown); 1..=5 the spaceless
# families; then every other script. Han, Hiragana and Katakana share one id (Japanese mixes them
# inside words).
FAMILIES = ["Han", "Thai", "Lao", "Khmer", "Myanmar"]
packed_script = {"Unknown": 0, "Common": 0, "Inherited": 0}
for n in SCRIPT_NAMES:
    if n in packed_script:
        continue
    if n in SPACELESS_FAMILY:
        packed_script[n] = 1 + FAMILIES.index(SPACELESS_FAMILY[n])
for n in SCRIPT_NAMES:
    if n not in packed_script:
        packed_script[n] = len(set(packed_script.values()))
assert max(packed_script.values()) < 256


def packed(c):
    g = gc[c]
    if regional[c]:
        cls = RI
    elif ext_pict[c] or emoji_mod[c]:
        cls = PICT
    elif g[0] == "Z" or g == "Cc" or g == "Cs":
        cls = SEP
    elif g == "Cf":
        cls = JOINER if c in (0x200C, 0x200D) else SEP
    elif g[0] in "PS":
        cls = PUNCT
    elif g[0] == "M":
        cls = MARK
    else:  # L*, N*, Co, Cn
        cls = WORD
    if g[0] == "M" or emoji_mod[c] or 0xE0020 <= c <= 0xE007F:
        cls |= EXT
    if c in fold_sources:
        cls |= FOLDS
    return cls | (packed_script[script[c]] << 8)


fold_sources = {a for a, _ in fold}
BLOCK = 64
values = [packed(c) for c in range(MAX)]
blocks = {}
block_list = []
index = []
for start in range(0, MAX, BLOCK):
    blk = tuple(values[start:start + BLOCK])
    if blk not in blocks:
        blocks[blk] = len(block_list)
        block_list.append(blk)
    index.append(blocks[blk])
assert len(block_list) < 65536


def ranges(pred_values):
    """Runs of equal non-None values as (start, end, value)."""
    out = []
    cur = None
    for c in range(MAX):
        v = pred_values(c)
        if cur is not None and v == cur[2] and c == cur[1] + 1:
            cur[1] = c
        else:
            if cur is not None and cur[2] is not None:
                out.append(tuple(cur))
            cur = [c, c, v]
    if cur is not None and cur[2] is not None:
        out.append(tuple(cur))
    return out


out = sys.stdout
w = out.write
w("// @generated by scripts/gen-unicode-tables.py from the Unicode Character Database\n")
w(f"// (version {version()}, {UCD}). Do not edit by hand: rerun the script.\n\n")
w(f"/// The Unicode version of the tables.\npub(crate) const UNICODE_VERSION: &str = \"{version()}\";\n\n")

w("/// General categories, in the order of [`GC_RANGES`]' values.\n")
w("#[derive(Clone, Copy, Debug, PartialEq, Eq)]\npub(crate) enum Gc {\n")
for n in GC_NAMES:
    w(f"    {n},\n")
w("}\n\n")
w("/// General category ranges `(first, last, category)`; code points not listed are `Cn`.\n")
gc_r = [r for r in ranges(lambda c: gc[c]) if r[2] != "Cn"]
w(f"pub(crate) static GC_RANGES: [(u32, u32, Gc); {len(gc_r)}] = [\n")
for a, b, v in gc_r:
    w(f"    (0x{a:X}, 0x{b:X}, Gc::{v}),\n")
w("];\n\n")

w("/// Script names; index 0 is `Unknown`, 1 `Common`, 2 `Inherited`.\n")
w(f"pub(crate) static SCRIPT_NAMES: [&str; {len(SCRIPT_NAMES)}] = [\n")
for n in SCRIPT_NAMES:
    w(f"    \"{n}\",\n")
w("];\n\n")
sc_r = [r for r in ranges(lambda c: SCRIPT_ID[script[c]]) if r[2] != 0]
w("/// Script ranges `(first, last, index into SCRIPT_NAMES)`; code points not listed are `Unknown`.\n")
w(f"pub(crate) static SCRIPT_RANGES: [(u32, u32, u8); {len(sc_r)}] = [\n")
for a, b, v in sc_r:
    w(f"    (0x{a:X}, 0x{b:X}, {v}),\n")
w("];\n\n")

for name, s, doc in [("EXTENDED_PICTOGRAPHIC", ext_pict, "Extended_Pictographic (emoji-data.txt)"),
                     ("EMOJI_MODIFIER", emoji_mod, "Emoji_Modifier (emoji-data.txt)"),
                     ("REGIONAL_INDICATOR", regional, "Regional_Indicator (PropList.txt)")]:
    rr = [r for r in ranges(lambda c: 1 if s[c] else None)]
    w(f"/// Ranges `(first, last)` with property {doc}.\n")
    w(f"pub(crate) static {name}: [(u32, u32); {len(rr)}] = [\n")
    for a, b, _ in rr:
        w(f"    (0x{a:X}, 0x{b:X}),\n")
    w("];\n\n")

w("/// Simple case folding (CaseFolding.txt statuses C and S), sorted by code point.\n")
w(f"pub(crate) static SIMPLE_FOLD: [(u32, u32); {len(fold)}] = [\n")
for a, b in fold:
    w(f"    (0x{a:X}, 0x{b:X}),\n")
w("];\n\n")

w("/// Packed class of the fast tokenizer: low 3 bits the class (see `fast.rs`), bit 3 the\n")
w("/// emoji-extender flag, bit 4 set when simple case folding changes the code point, high byte\n")
w("/// the script id (0 none; 1..=5 the spaceless families Han+Hiragana+Katakana, Thai, Lao, Khmer,\n")
w("/// Myanmar; then one id per other script).\n")
w(f"pub(crate) const PACKED_LATIN: u16 = {packed_script['Latin']};\n")
w(f"/// Log2 of the block size of [`CLASS_INDEX`].\n")
w(f"pub(crate) const CLASS_BLOCK_SHIFT: u32 = {BLOCK.bit_length() - 1};\n")
w(f"/// Block index of each {BLOCK}-code-point block.\n")
w(f"pub(crate) static CLASS_INDEX: [u16; {len(index)}] = [\n")
for i in range(0, len(index), 16):
    w("    " + ", ".join(str(x) for x in index[i:i + 16]) + ",\n")
w("];\n\n")
w(f"/// The distinct {BLOCK}-code-point blocks of packed classes.\n")
w(f"pub(crate) static CLASS_BLOCKS: [[u16; {BLOCK}]; {len(block_list)}] = [\n")
for blk in block_list:
    w("    [" + ", ".join(str(x) for x in blk) + "],\n")
w("];\n")
print(f"blocks: {len(block_list)}, gc ranges {len(gc_r)}, script ranges {len(sc_r)}, folds {len(fold)}",
      file=sys.stderr)

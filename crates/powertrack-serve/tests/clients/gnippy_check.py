#!/usr/bin/env python3
"""A published PowerTrack client, gnippy (PyPI, 0.7.0), against `powertrack serve`, unchanged.

    gnippy_check.py BASE ACCOUNT PASSWORD LABEL INGEST_TOKEN

BASE is the server's base URL on the loopback interface (http://127.0.0.1:PORT). The script
uses gnippy the way its README tells users to (only the host differs from Gnip's): rules are
added, listed and deleted with `gnippy.rules`, given `rules_url=` and `auth=(user, password)`;
the stream is read with `gnippy.PowerTrackClient(callback, url=…, auth=…)`. Posts are pushed
into the server with `POST BASE/ingest` (not a gnippy feature: the producer side).

It prints one line per check, then `gnippy checks: N ok, M wrong`, and exits 0 only when nothing
failed. A watchdog ends it after 60 s whatever happens.
"""

import argparse
import ipaddress
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

HARD_TIMEOUT_S = 60
STREAM_WAIT_S = 20
DISCONNECT_WAIT_S = 15

# Loopback only: never let a proxy from the environment carry these requests elsewhere.
for _var in ("NO_PROXY", "no_proxy"):
    os.environ[_var] = "127.0.0.1,localhost,::1"
for _var in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
    os.environ.pop(_var, None)

import gnippy  # noqa: E402
from gnippy import rules  # noqa: E402

passed = 0
failed = 0
_out = threading.Lock()


def summary():
    return "gnippy checks: %d ok, %d wrong" % (passed, failed)


def ok(what):
    global passed
    with _out:
        passed += 1
        print("ok    %s" % what, flush=True)


def fail(what, why):
    global failed
    with _out:
        failed += 1
        print("FAIL  %s: %s" % (what, why), flush=True)


def check(what, cond, why=""):
    if cond:
        ok(what)
    else:
        fail(what, why or "condition false")
    return cond


def finish():
    print(summary(), flush=True)
    sys.exit(0 if failed == 0 else 1)


def watchdog():
    with _out:
        print("FAIL  hard timeout: still running after %d s" % HARD_TIMEOUT_S, flush=True)
        print("gnippy checks: %d ok, %d wrong" % (passed, failed + 1), flush=True)
    os._exit(1)


def loopback_only(base):
    host = urllib.parse.urlsplit(base).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def ingest(base, token, posts):
    """POST BASE/ingest with NDJSON posts; returns the decoded reply."""
    body = "".join(json.dumps(p, separators=(",", ":")) + "\n" for p in posts).encode()
    req = urllib.request.Request(
        base + "/ingest",
        data=body,
        method="POST",
        headers={"Authorization": "Bearer " + token, "Content-Type": "application/x-ndjson"},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(req, timeout=5) as r:
        return r.status, json.loads(r.read())


def post(pid, text, screen_name, lang="en"):
    return {
        "id": pid,
        "id_str": str(pid),
        "text": text,
        "lang": lang,
        "user": {"id": 2, "id_str": "2", "screen_name": screen_name},
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("base", help="server base URL, e.g. http://127.0.0.1:8080")
    ap.add_argument("account")
    ap.add_argument("password")
    ap.add_argument("label", help="stream label")
    ap.add_argument("ingest_token")
    a = ap.parse_args()

    timer = threading.Timer(HARD_TIMEOUT_S, watchdog)
    timer.daemon = True
    timer.start()

    base = a.base.rstrip("/")
    if not loopback_only(base):
        fail("base URL", "%r is not on the loopback interface" % base)
        finish()

    # The only thing that differs from a Gnip setup: the host.
    tail = "powertrack/accounts/%s/publishers/twitter/%s.json" % (a.account, a.label)
    stream_url = "%s/stream/%s" % (base, tail)
    rules_url = "%s/rules/%s" % (base, tail)
    auth = (a.account, a.password)
    try:
        from importlib.metadata import version
        dist = version("gnippy")
    except Exception:  # noqa: BLE001
        dist = "?"
    # gnippy 0.7.0's own __version__ still says 0.4.1; the distribution's version is the one.
    print("gnippy %s (%s)" % (dist, os.path.dirname(gnippy.__file__)))
    print("stream url: %s" % stream_url)
    print("rules url:  %s" % rules_url)

    # --- Rules: add two (one tagged, one not), with both of gnippy's add functions. -----------
    snow_value, snow_tag = "snow lang:en", "weather"
    jack_value = "from:jack"
    try:
        rules.add_rule(snow_value, tag=snow_tag, rules_url=rules_url, auth=auth)
        ok("rules.add_rule(%r, tag=%r)" % (snow_value, snow_tag))
    except Exception as e:
        fail("rules.add_rule(%r, tag=%r)" % (snow_value, snow_tag), repr(e))
    try:
        rules.add_rules([rules.build(jack_value)], rules_url=rules_url, auth=auth)
        ok("rules.add_rules([build(%r)])" % jack_value)
    except Exception as e:
        fail("rules.add_rules([build(%r)])" % jack_value, repr(e))

    # --- List: both there, with ids. -------------------------------------------------------
    listed = []
    try:
        listed = rules.get_rules(rules_url=rules_url, auth=auth)
        ok("rules.get_rules() -> %d rules" % len(listed))
    except Exception as e:
        fail("rules.get_rules()", repr(e))
    by_value = {r.get("value"): r for r in listed if isinstance(r, dict)}
    snow = by_value.get(snow_value)
    jack = by_value.get(jack_value)

    def has_id(r):
        return (
            r is not None
            and isinstance(r.get("id"), int)
            and r.get("id") > 0
            and r.get("id_str") == str(r.get("id"))
        )

    check("listed rules are exactly the two added", len(listed) == 2 and snow and jack,
          "got %r" % listed)
    check("rule %r listed with id, id_str and tag %r" % (snow_value, snow_tag),
          has_id(snow) and snow.get("tag") == snow_tag, "got %r" % snow)
    check("rule %r listed with id, id_str and no tag" % jack_value,
          has_id(jack) and jack.get("tag") is None, "got %r" % jack)
    snow_id = snow.get("id") if snow else None
    jack_id = jack.get("id") if jack else None

    # --- Stream: gnippy's PowerTrackClient with a callback. -----------------------------------
    received = []
    errors = []
    cond = threading.Condition()

    def on_data(line):
        with cond:
            received.append(line)
            cond.notify_all()

    def on_error(exinfo):
        with cond:
            errors.append(exinfo[1])
            cond.notify_all()

    client = gnippy.PowerTrackClient(on_data, on_error, url=stream_url, auth=auth)
    client.connect()
    ok("PowerTrackClient.connect()")

    # The connection is made on gnippy's worker thread; nothing says when the server has it,
    # so push a fresh trio of posts every half second until both matching ones arrive.
    trios = []  # (snow post id, jack post id, unmatched post id)
    decoded = {}
    bad_lines = []
    processed = [0]  # lines of `received` already decoded
    deadline = time.monotonic() + STREAM_WAIT_S
    next_id = 7
    ingest_errors = []

    def drain():
        # Called with `cond` held.
        for line in received[processed[0]:]:
            try:
                p = json.loads(line)
                decoded[int(p["id_str"])] = p
            except Exception as e:  # noqa: BLE001
                bad_lines.append((line, repr(e)))
        processed[0] = len(received)

    def have_both():
        ids = set(decoded)
        return any(s in ids for s, _, _ in trios) and any(j in ids for _, j, _ in trios)

    while time.monotonic() < deadline:
        s_id, j_id, n_id = next_id, next_id + 1, next_id + 2
        next_id += 3
        trios.append((s_id, j_id, n_id))
        try:
            status, reply = ingest(base, a.ingest_token, [
                post(s_id, "snow day", "poster"),
                post(j_id, "just setting up my twttr", "jack"),
                post(n_id, "rain later", "poster"),
            ])
            if status != 200 or reply.get("accepted") != 3 or reply.get("rejected") != 0:
                ingest_errors.append("HTTP %s %r" % (status, reply))
        except (urllib.error.URLError, OSError, ValueError) as e:
            body = e.read().decode(errors="replace") if isinstance(e, urllib.error.HTTPError) else ""
            ingest_errors.append("%r %s" % (e, body))
        with cond:
            cond.wait_for(lambda: errors or len(received) > processed[0], timeout=0.5)
            drain()
            if errors or have_both():
                break
        if not client.connected():
            break
        if len(ingest_errors) > 3:
            break

    check("POST /ingest accepted every post", not ingest_errors, "; ".join(ingest_errors[:3]))
    check("stream raised no exception in gnippy's worker", not errors,
          "; ".join(repr(e) for e in errors))
    check("callback received a post matching each rule within %d s (%d ingest pushes)"
          % (STREAM_WAIT_S, len(trios)),
          have_both(), "received ids %r after pushing %r" % (sorted(decoded), trios))

    def rules_of(p):
        return [(m.get("id"), m.get("id_str"), m.get("tag")) for m in p.get("matching_rules", [])]

    snow_posts = [decoded[s] for s, _, _ in trios if s in decoded]
    jack_posts = [decoded[j] for _, j, _ in trios if j in decoded]
    want_snow = [(snow_id, str(snow_id), snow_tag)]
    want_jack = [(jack_id, str(jack_id), None)]
    if snow_posts:
        check("snow post carries matching_rules [%s, tag %r]" % (snow_id, snow_tag),
              all(rules_of(p) == want_snow for p in snow_posts),
              "got %r" % [p.get("matching_rules") for p in snow_posts])
        check("snow post text and user delivered unchanged",
              all(p.get("text") == "snow day" and p["user"]["screen_name"] == "poster"
                  for p in snow_posts), "got %r" % snow_posts[0])
    if jack_posts:
        check("jack post carries matching_rules [%s, no tag]" % jack_id,
              all(rules_of(p) == want_jack for p in jack_posts),
              "got %r" % [p.get("matching_rules") for p in jack_posts])

    # --- Stop the stream (gnippy stops at the next line or heartbeat). ---------------------
    stopper = threading.Thread(target=client.disconnect, daemon=True)
    t0 = time.monotonic()
    stopper.start()
    stopper.join(DISCONNECT_WAIT_S)
    check("PowerTrackClient.disconnect() returned (%.1f s)" % (time.monotonic() - t0),
          not stopper.is_alive(), "still waiting after %d s" % DISCONNECT_WAIT_S)
    check("PowerTrackClient.connected() is False after disconnect", not client.connected())
    check("stream raised no exception up to disconnect", not errors,
          "; ".join(repr(e) for e in errors))
    with cond:
        drain()
    unmatched = [decoded[n] for _, _, n in trios if n in decoded]
    check("post matching no rule was never delivered", not unmatched, "got %r" % unmatched)
    check("every streamed line is a JSON post", not bad_lines,
          repr(bad_lines[:3]))

    # --- Delete one rule (the dict get_rules returned: value, tag, id, id_str). -------------
    if jack is not None:
        try:
            rules.delete_rule(jack, rules_url=rules_url, auth=auth)
            ok("rules.delete_rule(%r)" % jack)
        except Exception as e:
            fail("rules.delete_rule(%r)" % jack, repr(e))
    else:
        fail("rules.delete_rule", "no %r rule to delete" % jack_value)

    try:
        left = rules.get_rules(rules_url=rules_url, auth=auth)
        check("after delete one rule remains: %r with its id" % snow_value,
              len(left) == 1 and left[0].get("value") == snow_value
              and left[0].get("id") == snow_id and left[0].get("tag") == snow_tag,
              "got %r" % left)
    except Exception as e:
        fail("rules.get_rules() after delete", repr(e))

    finish()


if __name__ == "__main__":
    try:
        main()
    except SystemExit:
        raise
    except BaseException as e:  # noqa: BLE001
        fail("unexpected error", repr(e))
        finish()

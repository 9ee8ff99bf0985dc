"""Discovery figures on a generated instance: a 20,000-track library and a few hundred listeners
whose tastes are drawn from known clusters (each listener favours one or two genres, and within
a genre the same tracks are popular with everyone, Zipf-like).

- Recommendation quality: each listener's last 10% of listens are held out; the tracks in it
  they had not played before are what a recommender should find. Hit rate@10 and NDCG@10 of
  `GET /api/v1/discovery/recommendations?neverPlayed=true&limit=10`, against a popularity
  baseline computed here from the same training listens (the ten tracks most listeners played
  that this listener has not).
- The model job: time (as the job reports it) and the server's peak memory, at 1,000,000
  listens (and at --big listens, 10,000,000 by default, with --big on).
- Search recall for misspelled names (one edit, two edits, accents added or dropped) through
  Subsonic search3, against a plain substring search (what search did before).

Usage: python bench/discovery_bench.py [--pg postgres://…/postgres] [--pg-only] [--users 300]
       [--listens 1000000] [--big 10000000]
"""
import argparse
import math
import os
import random
import time
import unicodedata

import requests

from common import Instance, rss_mb
from library_bench import library

PASSWORD = "bench-subsonic"


def peak_mb(pid):
    """The process's peak resident memory so far (VmHWM)."""
    with open(f"/proc/{pid}/status") as f:
        return next((int(line.split()[1]) / 1024 for line in f if line.startswith("VmHWM:")), 0.0)


def all_tracks(url, token):
    tracks, offset = [], 0
    while True:
        page = requests.get(f"{url}/api/v1/tracks", params={"limit": 500, "offset": offset},
                            headers={"Authorization": f"Bearer {token}"}).json()["items"]
        tracks += page
        if len(page) < 500:
            return tracks
        offset += 500


def listeners(tracks, users, total, seed=7):
    """Each user: one or two favourite genres (90% of plays), the rest anywhere; within a genre
    a fixed popularity order shared by everyone (Zipf, exponent 1.1). Returns {user: [track ids]}
    in listening order."""
    rng = random.Random(seed)
    by_genre = {}
    for t in tracks:
        by_genre.setdefault(t.get("genre") or "none", []).append(t["id"])
    genres = sorted(by_genre)
    for g in genres:
        rng.shuffle(by_genre[g])
    weights = {g: [1 / (r + 1) ** 1.1 for r in range(len(by_genre[g]))] for g in genres}
    everything = [t["id"] for t in tracks]
    plays = {}
    per_user = total // users
    for u in range(users):
        taste = rng.sample(genres, 1 if rng.random() < 0.5 else 2)
        seq = []
        for _ in range(per_user):
            if rng.random() < 0.9:
                g = rng.choice(taste)
                seq.append(rng.choices(by_genre[g], weights=weights[g])[0])
            else:
                seq.append(rng.choice(everything))
        plays[u] = seq
    return plays


def submit(url, token, titles, seq, start):
    """Submits `seq` as an import, one listen a minute from `start`, in batches of 1,000."""
    for i in range(0, len(seq), 1000):
        payload = [{"listened_at": start + 60 * (i + k), "track_metadata": {"track_name": titles[t][0], "artist_name": titles[t][1]}}
                   for k, t in enumerate(seq[i:i + 1000])]
        r = requests.post(url + "/1/submit-listens", json={"listen_type": "import", "payload": payload},
                          headers={"Authorization": f"Token {token}"})
        r.raise_for_status()


def make_user(url, admin, name):
    r = requests.post(url + "/api/v1/users", json={"username": name, "password": f"password-{name}"},
                      headers={"Authorization": f"Bearer {admin}"})
    r.raise_for_status()
    s = requests.Session()
    r = s.post(url + "/api/v1/auth/login", json={"username": name, "password": f"password-{name}"})
    r = s.post(url + "/api/v1/tokens", json={"name": "bench"}, headers={"X-CSRF-Token": r.json()["csrfToken"]})
    return r.json()["token"]


def build(url, admin, pid):
    before = requests.get(url + "/api/v1/discovery/model", headers={"Authorization": f"Bearer {admin}"}).json()["model"]
    rss = rss_mb(pid)
    requests.post(url + "/api/v1/discovery/model", headers={"Authorization": f"Bearer {admin}"}).raise_for_status()
    while True:
        model = requests.get(url + "/api/v1/discovery/model", headers={"Authorization": f"Bearer {admin}"}).json()["model"]
        if model and (before is None or model["builtAt"] > before["builtAt"]):
            return model, rss, peak_mb(pid)
        time.sleep(0.5)


def ndcg(ranked, relevant, k=10):
    gain = sum(1 / math.log2(i + 2) for i, t in enumerate(ranked[:k]) if t in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return gain / ideal if ideal else 0.0


def quality(url, tokens, train, test, sample):
    listeners_of = {}
    for u, seq in train.items():
        for t in set(seq):
            listeners_of[t] = listeners_of.get(t, 0) + 1
    popular = sorted(listeners_of, key=lambda t: (-listeners_of[t], t))
    ours = {"hit": 0, "ndcg": 0.0}
    base = {"hit": 0, "ndcg": 0.0}
    n = 0
    for u in sample:
        played = set(train[u])
        relevant = set(test[u]) - played
        if not relevant:
            continue
        n += 1
        r = requests.get(url + "/api/v1/discovery/recommendations", params={"limit": 10, "neverPlayed": "true"},
                         headers={"Authorization": f"Bearer {tokens[u]}"})
        r.raise_for_status()
        recs = [i["track"]["id"] for i in r.json()["items"]]
        baseline = [t for t in popular if t not in played][:10]
        for result, ranked in ((ours, recs), (base, baseline)):
            result["hit"] += any(t in relevant for t in ranked[:10])
            result["ndcg"] += ndcg(ranked, relevant)
    return n, {k: v / max(n, 1) for k, v in ours.items()}, {k: v / max(n, 1) for k, v in base.items()}


def misspell(rng, text, edits):
    chars = list(text)
    letters = [i for i, c in enumerate(chars) if c.isalpha()]
    for _ in range(edits):
        if len(letters) < 4:
            break
        i = rng.choice(letters[1:-1])
        op = rng.choice(["swap", "drop", "replace", "insert"])
        if op == "swap" and i + 1 < len(chars) and chars[i + 1].isalpha():
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        elif op == "drop":
            del chars[i]
        elif op == "replace":
            chars[i] = rng.choice("abcdefghijklmnopqrstuvwxyz".replace(chars[i].lower(), ""))
        else:
            chars.insert(i, rng.choice("abcdefghijklmnopqrstuvwxyz"))
        letters = [j for j, c in enumerate(chars) if c.isalpha()]
    return "".join(chars)


ACCENTS = {"a": "á", "e": "é", "i": "í", "o": "ö", "u": "ü", "n": "ñ", "c": "ç"}


def accented(text):
    """Accents added to every accentable letter (or, for names that have them, dropped)."""
    stripped = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    return stripped if stripped != text else "".join(ACCENTS.get(c, c) for c in text)


def recall(url, tracks, sample_size=300, seed=3):
    rng = random.Random(seed)
    q = {"u": "bench", "p": PASSWORD, "v": "1.16.1", "c": "bench", "f": "json", "artistCount": 0, "albumCount": 0, "songCount": 20}
    sample = rng.sample(tracks, min(sample_size, len(tracks)))
    print(f"  search recall over {len(sample)} track titles (a song of that title among the first 20 of search3):")
    for label, change in (("exact", lambda t: t), ("one edit", lambda t: misspell(rng, t, 1)),
                          ("two edits", lambda t: misspell(rng, t, 2)), ("accents", accented)):
        found = substring = 0
        for t in sample:
            query = change(t["title"])
            answer = requests.get(url + "/rest/search3", params={**q, "query": query}).json()["subsonic-response"]
            assert "searchResult3" in answer, answer
            songs = answer["searchResult3"].get("song", [])
            # Generated titles repeat (1–3 words of 24): a hit is a song of that title, as a person would take it.
            found += t["title"] in [s["title"] for s in songs]
            # Before: a substring of the lower-cased title.
            substring += query.lower() in t["title"].lower()
        print(f"    {label:10s} ranked typo-tolerant {found / len(sample):6.1%}   substring (before) {substring / len(sample):6.1%}")


def run(name, pg, args, root):
    inst = Instance(pg)
    try:
        inst.run("migrate")
        inst.run("scan", "--now", "--music-dir", root)
        proc, url, _ = inst.serve(CADENZA_RESCAN_MINUTES=0, CADENZA_LISTENS_RATE_LIMIT=100000000)
        admin = inst.admin_token(url)
        r = requests.put(url + "/api/v1/me/subsonic-password", json={"password": PASSWORD, "currentPassword": "bench-password"},
                         headers={"Authorization": f"Bearer {admin}"})
        r.raise_for_status()
        tracks = all_tracks(url, admin)
        titles = {t["id"]: (t["title"], t["artist"]) for t in tracks}
        print(f"== Discovery benchmark, {name}, {len(tracks)}-track library, {args.users} listeners, {args.listens:,} listens")
        recall(url, tracks)
        plays = listeners(tracks, args.users, args.listens)
        tokens, train, test = {}, {}, {}
        start = int(time.time()) - args.listens // args.users * 60 - 3600
        began = time.perf_counter()
        for u, seq in plays.items():
            cut = int(len(seq) * 0.9)
            train[u], test[u] = seq[:cut], seq[cut:]
            tokens[u] = make_user(url, admin, f"listener{u}")
            submit(url, tokens[u], titles, train[u], start)
        took = time.perf_counter() - began
        print(f"  {sum(map(len, train.values())):,} training listens submitted in {took:.0f} s")
        model, before, peak = build(url, admin, proc.pid)
        print(f"  model job at {sum(map(len, train.values())):,} listens: {model['millis'] / 1000:.1f} s "
              f"({model['pairs']:,} listener-track pairs, {model['tracks']:,} tracks and {model['artists']:,} artists with neighbours); "
              f"server RSS {before:.0f} MB before, peak {peak:.0f} MB")
        sample = sorted(random.Random(5).sample(sorted(plays), min(args.evaluate, len(plays))))
        began = time.perf_counter()
        n, ours, base = quality(url, tokens, train, test, sample)
        per = (time.perf_counter() - began) / max(n, 1) * 1000
        print(f"  held-out listens, {n} listeners: hit rate@10 {ours['hit']:.3f} vs popularity {base['hit']:.3f} "
              f"({ours['hit'] / max(base['hit'], 1e-9):.2f}x); NDCG@10 {ours['ndcg']:.3f} vs {base['ndcg']:.3f} "
              f"({ours['ndcg'] / max(base['ndcg'], 1e-9):.2f}x); {per:.0f} ms per recommendation request")
        if args.big:
            extra = args.big - args.listens
            more = listeners(tracks, args.users, extra, seed=11)
            began = time.perf_counter()
            for u, seq in more.items():
                submit(url, tokens[u], titles, seq, start - len(seq) * 60 - 60)
            print(f"  {extra:,} more listens submitted in {time.perf_counter() - began:.0f} s")
            model, before, peak = build(url, admin, proc.pid)
            print(f"  model job at {args.big:,} listens: {model['millis'] / 1000:.1f} s ({model['pairs']:,} pairs); "
                  f"server RSS {before:.0f} MB before, peak {peak:.0f} MB")
    finally:
        inst.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=20000)
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--listens", type=int, default=1000000)
    parser.add_argument("--evaluate", type=int, default=300, help="listeners whose held-out listens are checked")
    parser.add_argument("--big", type=int, default=0, help="also time the model at this many listens (e.g. 10000000)")
    parser.add_argument("--pg")
    parser.add_argument("--pg-only", action="store_true")
    parser.add_argument("--cache", default="/tmp/cadenza-bench-libs")
    args = parser.parse_args()
    root = library(args.cache, args.size)
    for name, pg in ([] if args.pg_only else [("SQLite", None)]) + ([("PostgreSQL", args.pg)] if args.pg else []):
        run(name, pg, args, root)


if __name__ == "__main__":
    main()

"""Jukebox figures against the issue's targets: votes per second sustained on one room with every
change fanned out live to connected guests (each guest holds the room's event stream), the
time from a change to the guests' screens (p50/p99 of the event's arrival), and how fast a room
with 500 queued songs answers its queue.

Targets (issue #16): >= 2,000 votes/s on SQLite with 200 guests connected, p99 vote-to-screen
< 100 ms; a 500-song queue answered in < 10 ms.

Usage: python bench/jukebox_bench.py [--guests 200] [--voters 50] [--seconds 10] [--pg postgres://…/postgres]
"""
import argparse
import os
import selectors
import socket
import subprocess
import sys
import tempfile
import threading
import time

import requests

from common import Instance, percentile

HERE = os.path.dirname(os.path.abspath(__file__))


def library(root, tracks):
    """`tracks` tagged MP3s: one second of tone encoded once, copied and tagged with mutagen."""
    from mutagen.easyid3 import EasyID3
    if os.path.isdir(root) and len(os.listdir(root)) >= tracks:
        return root
    os.makedirs(root, exist_ok=True)
    base = os.path.join(root, "base.mp3.tmp")
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=1",
                    "-f", "mp3", base], check=True)
    data = open(base, "rb").read()
    for i in range(tracks):
        path = os.path.join(root, f"t{i:04d}.mp3")
        with open(path, "wb") as f:
            f.write(data)
        tags = EasyID3()
        tags.update({"title": f"Song {i}", "artist": f"Artist {i % 40}", "album": f"Album {i // 10}", "genre": f"Genre {i % 7}"})
        tags.save(path)
    os.remove(base)
    return root


class Listeners(threading.Thread):
    """The guests' pages: each holds the room's event stream on a raw socket; one selector
    thread reads them all (a thread per guest would measure Python's thread switching) and notes
    each event's arrival time."""

    def __init__(self, url, slug, cookies):
        super().__init__(daemon=True)
        host, port = url.replace("http://", "").split(":")
        self.selector = selectors.DefaultSelector()
        self.arrivals = [[] for _ in cookies]
        self.votes_seen = [0 for _ in cookies]
        self.buffers = [b""] * len(cookies)
        self.sockets = []
        for i, cookie in enumerate(cookies):
            sock = socket.create_connection((host, int(port)))
            sock.sendall(f"GET /api/v1/rooms/{slug}/events HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\nAccept: text/event-stream\r\n\r\n".encode())
            sock.setblocking(False)
            self.selector.register(sock, selectors.EVENT_READ, i)
            self.sockets.append(sock)
        self.running = True

    def run(self):
        while self.running:
            for key, _ in self.selector.select(timeout=0.2):
                i = key.data
                try:
                    chunk = key.fileobj.recv(262144)
                except (BlockingIOError, OSError):
                    continue
                if not chunk:
                    self.selector.unregister(key.fileobj)
                    continue
                now = time.perf_counter()
                buffer = self.buffers[i] + chunk
                *blocks, buffer = buffer.split(b"\n\n")
                self.buffers[i] = buffer
                for block in blocks:
                    if b"event: room" in block:
                        # One event carries every vote written together: each entry's new score.
                        self.arrivals[i].append((now, b'"suggestion"' in block))
                        self.votes_seen[i] += block.count(b'"entryId"')

    def close(self):
        self.running = False
        self.join(timeout=5)
        for sock in self.sockets:
            sock.close()


def run(pg, guests, voters, seconds, tracks):
    inst = Instance(pg)
    label = "PostgreSQL" if pg else "SQLite"
    music = library(os.path.join("/tmp", f"cadenza-jukebox-bench-{tracks}"), tracks)
    try:
        _, url, _ = inst.serve(CADENZA_MUSIC_DIRS=music, CADENZA_EVENT_STREAMS_PER_ADDRESS=guests + 50)
        token = inst.admin_token(url)
        h = {"Authorization": f"Bearer {token}"}
        while len(requests.get(url + "/api/v1/tracks?limit=500", headers=h).json()["items"]) < min(tracks, 500):
            time.sleep(0.5)
        ids = [t["id"] for offset in (0, 500) for t in requests.get(url + f"/api/v1/tracks?limit=500&offset={offset}", headers=h).json()["items"]]
        room = requests.post(url + "/api/v1/rooms", headers=h, json={"slug": "bench", "name": "Bench", "maxPerGuest": 0, "cooldownMinutes": 0,
                                                                      "downvotesToRemove": 100, "downvotesToSkip": 100}).json()
        base = url + "/api/v1/rooms/bench"
        sessions = []
        for i in range(max(guests, voters)):
            s = requests.Session()
            s.post(base + "/join", json={"name": f"G{i}", "code": room["joinCode"]})
            sessions.append(s)
        # 500 queued songs: how fast the room answers (the queue with scores and each guest's votes).
        for track in ids[:500]:
            requests.post(base + "/suggestions", headers=h, json={"trackId": track})
        queue = requests.get(base, headers=h).json()["queue"]
        reads = []
        for _ in range(50):
            started = time.perf_counter()
            sessions[0].get(base)
            reads.append((time.perf_counter() - started) * 1000)
        print(f"[{label}] room with {len(queue)} queued songs: answered in p50 {percentile(reads, 50):.1f} ms, p99 {percentile(reads, 99):.1f} ms (target < 10 ms)")
        cookies = ["; ".join(f"{k}={v}" for k, v in s.cookies.items()) for s in sessions]
        listeners = Listeners(url, "bench", cookies[:guests])
        listeners.start()
        time.sleep(1)
        work = tempfile.mkdtemp(prefix="cadenza-jukebox-bench-")
        with open(os.path.join(work, "cookies"), "w") as f:
            f.write("\n".join(cookies[:voters]) + "\n")
        with open(os.path.join(work, "entries"), "w") as f:
            f.write("\n".join(e["entryId"] for e in queue) + "\n")
        probes = []
        stop = time.perf_counter() + seconds

        def probe():
            # A change whose arrival every guest can tell apart: the host's suggestion of a new song.
            for track in ids[500:520]:
                if time.perf_counter() > stop - 1:
                    break
                probes.append(time.perf_counter())
                requests.post(base + "/suggestions", headers=h, json={"trackId": track})
                time.sleep(0.3)

        prober = threading.Thread(target=probe)
        prober.start()
        # wrk keeps `voters` connections voting as fast as the server answers.
        out = subprocess.run(
            ["wrk", "-t2", f"-c{voters}", f"-d{seconds}s", "-s", os.path.join(HERE, "jukebox_votes.lua"), url],
            capture_output=True, text=True, timeout=seconds + 60,
            env=dict(os.environ, VOTE_COOKIES=os.path.join(work, "cookies"), VOTE_ENTRIES=os.path.join(work, "entries"),
                     VOTE_PATH="/api/v1/rooms/bench"))
        prober.join()
        time.sleep(2)
        listeners.close()
        line = next((l for l in out.stdout.splitlines() if l.startswith("VOTES ")), None)
        if line is None:
            raise RuntimeError("wrk gave no figures: " + out.stdout + out.stderr)
        total, duration, p50, p99, errors = line.split()[1:]
        total, duration, errors = int(total), float(duration), int(errors)
        delivered = sum(len(a) for a in listeners.arrivals)
        scores = sum(listeners.votes_seen)
        latencies = []
        for arrivals in listeners.arrivals:
            seen = [at for at, is_probe in arrivals if is_probe]
            for sent, arrived in zip(probes, seen):
                latencies.append((arrived - sent) * 1000)
        print(f"[{label}] {total / duration:.0f} votes/s sustained by {voters} voters for {duration:.0f} s with {guests} guests connected "
              f"(target >= 2,000/s; vote p50 {p50} ms, p99 {p99} ms, {errors} errors); {delivered} events delivered to the guests "
              f"carrying {scores} new scores ({scores / max(1, (total - errors) * guests) * 100:.0f} % of votes x guests; two votes on "
              f"one song written together arrive as its one new score)")
        print(f"[{label}] change to screen (a suggestion's event reaching each guest): p50 {percentile(latencies, 50):.0f} ms, "
              f"p99 {percentile(latencies, 99):.0f} ms over {len(latencies)} arrivals (target p99 < 100 ms)")
    finally:
        inst.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--guests", type=int, default=200)
    parser.add_argument("--voters", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--tracks", type=int, default=600)
    parser.add_argument("--pg")
    args = parser.parse_args()
    run(None, args.guests, args.voters, args.seconds, args.tracks)
    if args.pg:
        run(args.pg, args.guests, args.voters, args.seconds, args.tracks)


if __name__ == "__main__":
    main()

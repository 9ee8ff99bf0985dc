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
import socket
import subprocess
import sys
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


class Listener(threading.Thread):
    """One guest's page: the room's event stream on a raw socket, with each event's arrival time."""

    def __init__(self, url, slug, cookie):
        super().__init__(daemon=True)
        host, port = url.replace("http://", "").split(":")
        self.sock = socket.create_connection((host, int(port)))
        self.sock.sendall(f"GET /api/v1/rooms/{slug}/events HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\nAccept: text/event-stream\r\n\r\n".encode())
        self.arrivals = []
        self.running = True

    def run(self):
        buffer = b""
        while self.running:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            now = time.perf_counter()
            buffer += chunk
            while b"\n\n" in buffer:
                block, buffer = buffer.split(b"\n\n", 1)
                if b"event: room" in block:
                    self.arrivals.append((now, b'"suggestion"' in block))

    def close(self):
        self.running = False
        self.sock.close()


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
        room = requests.post(url + "/api/v1/rooms", headers=h, json={"slug": "bench", "name": "Bench", "maxPerGuest": 0, "cooldownMinutes": 0}).json()
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
        listeners = []
        for s in sessions[:guests]:
            cookie = "; ".join(f"{k}={v}" for k, v in s.cookies.items())
            listener = Listener(url, "bench", cookie)
            listener.start()
            listeners.append(listener)
        time.sleep(1)
        entries = [e["entryId"] for e in queue]
        stop = time.perf_counter() + seconds
        counts = [0] * voters

        def vote(i):
            s = sessions[i]
            n = 0
            while time.perf_counter() < stop:
                s.put(base + f"/entries/{entries[(i * 7 + n) % len(entries)]}/vote", json={"value": 1 if n % 2 == 0 else -1})
                n += 1
            counts[i] = n

        probes = []

        def probe():
            # A change whose arrival every guest can tell apart: the host's suggestion of a new song.
            for track in ids[500:520]:
                if time.perf_counter() > stop - 1:
                    break
                probes.append(time.perf_counter())
                requests.post(base + "/suggestions", headers=h, json={"trackId": track})
                time.sleep(0.3)

        threads = [threading.Thread(target=vote, args=(i,)) for i in range(voters)] + [threading.Thread(target=probe)]
        began = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - began
        time.sleep(2)
        for listener in listeners:
            listener.close()
        total = sum(counts)
        delivered = sum(len(l.arrivals) for l in listeners)
        latencies = []
        for listener in listeners:
            seen = [at for at, is_probe in listener.arrivals if is_probe]
            for sent, arrived in zip(probes, seen):
                latencies.append((arrived - sent) * 1000)
        print(f"[{label}] {total / elapsed:.0f} votes/s sustained by {voters} voters for {elapsed:.0f} s with {guests} guests connected "
              f"(target >= 2,000/s); {delivered} events delivered to the guests ({delivered / max(1, total * guests) * 100:.0f} % of votes x guests)")
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

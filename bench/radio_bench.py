"""Radio playout figures against the anchors (liquidsoap 2.1.3 and icecast2 on this kind of
machine, ../shared/reference/radio-jukebox.md §5–§6): CPU and memory per station, how soon a new
station's mount and HLS are up, drift against the wall clock, gaps at track boundaries, kill -9
recovery, and the built-in mount's cost per listener.

One station = the autoDJ over a library of 30 s sine-tone tracks (MP3 and FLAC), one MP3 128 kb/s
mount. CPU is CPU time per wall second of the server and its ffmpeg children, less the idle
server's; PSS from /proc/PID/smaps_rollup.

Usage: python bench/radio_bench.py [--seconds 60] [--stations 8] [--listeners 300] [--pg postgres://…/postgres]
"""
import argparse
import asyncio
import os
import subprocess
import tempfile
import time

import requests

import liquidsoap_anchor
from common import Instance

# The reference's figures (§6), printed when liquidsoap is not installed (apt-get install liquidsoap);
# otherwise replaced by what it measures in this run.
LIQUIDSOAP = {"cpu": "2.2–2.65 % (reference)", "pss": "126–176 MB (reference)", "up": "2.3–3.9 s (reference)",
              "hls": "6.2–6.5 s (reference)", "behind": "+0.03 s in 150 s (reference)",
              "kill9": "audible after 2.5 s, playlist restarts at track 1 (reference)", "per_core": "~46 (reference)",
              "hls_cpu": "3.54 % for HLS alone (reference)", "icecast1500": "11.9 %"}
LIQUIDSOAP_CPU = 2.4


def make_library(root, tracks=12, seconds=30):
    os.makedirs(root, exist_ok=True)
    for i in range(tracks):
        ext = "mp3" if i % 2 else "flac"
        path = os.path.join(root, f"t{i:02d}.{ext}")
        if not os.path.exists(path):
            subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", "lavfi", "-i",
                            f"sine=frequency={300 + 40 * i}:duration={seconds}", "-ac", "2", "-metadata", f"title=Tone {i}",
                            "-metadata", f"artist=Bench {i % 4}"] + (["-b:a", "192k"] if ext == "mp3" else []) + [path], check=True)
    return root


def tree(pid):
    """The process and its descendants."""
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid="], capture_output=True, text=True).stdout.split()
    children = {}
    for child, parent in zip(out[::2], out[1::2]):
        children.setdefault(int(parent), []).append(int(child))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo += children.get(p, [])
    return found


def cpu_seconds(pids):
    total = 0.0
    for p in pids:
        try:
            fields = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")
        except (FileNotFoundError, ProcessLookupError, IndexError):
            pass
    return total


def pss_mb(pids):
    total = 0
    for p in pids:
        try:
            for line in open(f"/proc/{p}/smaps_rollup"):
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except (FileNotFoundError, PermissionError):
            pass
    return total / 1024


def cpu_percent(pid, seconds):
    """% of one core used by the process tree over `seconds` (children that exit meanwhile included via cumulative times)."""
    before, start = cpu_seconds(tree(pid)), time.time()
    time.sleep(seconds)
    return (cpu_seconds(tree(pid)) - before) / (time.time() - start) * 100


def create(url, token, slug, outputs=("mp3",)):
    r = requests.post(url + "/api/v1/stations", headers={"Authorization": f"Bearer {token}"},
                      json={"slug": slug, "name": slug, "outputs": list(outputs)})
    r.raise_for_status()


def settle(url, token):
    """Waits until the one-off work a new station starts is done (each track's loudness analysis,
    the first round of local copies): it is not what airing costs."""
    h = {"Authorization": f"Bearer {token}"}
    busy = lambda: any(requests.get(url + "/api/v1/jobs", headers=h, params={"kind": "radio.loudness", "state": state}).json()
                       for state in ("queued", "running"))
    deadline = time.time() + 120
    while busy() and time.time() < deadline:
        time.sleep(0.5)
    time.sleep(5)


def first_audio(url, slug, since):
    while True:
        try:
            r = requests.get(f"{url}/listen/{slug}/radio.mp3", stream=True, timeout=2)
            if r.status_code == 200:
                next(r.iter_content(1024))
                r.close()
                return time.time() - since
        except requests.RequestException:
            pass
        time.sleep(0.02)


def capture(url, slug, seconds, path):
    """Listens to a station for `seconds`; returns audio seconds received after the connect burst, per wall second."""
    return capture_url(f"{url}/listen/{slug}/radio.mp3", seconds, path)


def capture_url(mount, seconds, path):
    r = requests.get(mount, stream=True, timeout=5)
    got, marks = 0, []
    with open(path, "wb") as f:
        start = time.time()
        for chunk in r.iter_content(8192):
            f.write(chunk)
            got += len(chunk)
            marks.append((time.time() - start, got))
            if time.time() - start > seconds:
                break
    r.close()
    # From 5 s in (the burst is over) to the end: bytes at 16,000 per second of 128 kb/s audio,
    # as the slope of a least-squares line (audio arrives in pieces of a few hundred ms, so two
    # single points would measure where in a piece each fell, not the rate).
    points = [(t, b / 16000) for t, b in marks if t >= 5]
    n = len(points)
    mt, ma = sum(t for t, _ in points) / n, sum(a for _, a in points) / n
    slope = sum((t - mt) * (a - ma) for t, a in points) / sum((t - mt) ** 2 for t, _ in points)
    return (slope - 1) * (points[-1][0] - points[0][0])


def silences(path):
    out = subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-i", path, "-af", "silencedetect=noise=-50dB:d=0.02", "-f", "null", "-"],
                         capture_output=True, text=True).stderr
    return [line for line in out.splitlines() if "silence_start" in line and "silence_start: 0" not in line]


async def listeners(url, slug, count, seconds):
    """`count` concurrent raw listeners reading for `seconds`; returns bytes received."""
    host, port = url.split("//")[1].split(":")
    total = [0]

    async def one():
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(f"GET /listen/{slug}/radio.mp3 HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        end = time.time() + seconds
        while time.time() < end:
            data = await reader.read(65536)
            if not data:
                break
            total[0] += len(data)
        writer.close()

    await asyncio.gather(*(one() for _ in range(count)))
    return total[0]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--stations", type=int, default=8)
    parser.add_argument("--listeners", type=int, default=300)
    parser.add_argument("--pg")
    # 30 s tracks make every cost paid once per track (an ffmpeg decoder's start: 54 ms of CPU
    # with Debian's build) count six to seven times what it does with songs of 3–4 minutes.
    parser.add_argument("--track-seconds", type=int, default=30)
    parser.add_argument("--no-anchor", action="store_true", help="do not run liquidsoap beside (print the reference's figures)")
    args = parser.parse_args()
    suffix = "" if args.track_seconds == 30 else f"-{args.track_seconds}s"
    music = make_library(os.path.join(tempfile.gettempdir(), "cadenza-bench-radio" + suffix), seconds=args.track_seconds)
    global LIQUIDSOAP_CPU
    if not args.no_anchor and liquidsoap_anchor.available():
        # First, alone on the machine, as Cadenza's stations are below.
        a = liquidsoap_anchor.measure(music, args.seconds, cpu_percent, pss_mb, capture_url, silences, args.track_seconds)
        first = lambda title: (title or "").endswith("Tone 0")
        where = ("restarts the playlist at its first track" if first(a["kill9_to"]) and not first(a["kill9_from"])
                 else f"was in {a['kill9_from']!r}, went on with {a['kill9_to']!r}")
        print(f"liquidsoap {subprocess.run(['liquidsoap', '--version'], capture_output=True, text=True).stdout.split()[1]} "
              f"(the anchor, same library, one MP3 128 kb/s mount to icecast2): {a['cpu']:.2f} % of a core, {a['pss']:.0f} MB PSS, "
              f"mount audible {a['up']:.2f} s after start, {a['behind']:+.3f} s against the wall clock over {args.seconds - 5} s, "
              f"{a['gaps']} silences ≥ 20 ms; after kill -9 audible {a['kill9']:.2f} s after a restart, and {where}; "
              f"MP3 + HLS (AAC, 4 s): {a['hls_cpu']:.2f} % of a core, first segment {a['hls_up']:.2f} s")
        LIQUIDSOAP_CPU = a["cpu"]
        LIQUIDSOAP.update({
            "cpu": f"{a['cpu']:.2f} %", "pss": f"{a['pss']:.0f} MB", "up": f"{a['up']:.2f} s", "hls": f"{a['hls_up']:.2f} s",
            "behind": f"{a['behind']:+.3f} s", "hls_cpu": f"{a['hls_cpu']:.2f} %", "per_core": f"~{100 / max(a['cpu'], 0.01):.0f}",
            "kill9": f"audible {a['kill9']:.2f} s after a restart; {where}"})
    inst = Instance(args.pg)
    proc, url, _ = inst.serve(CADENZA_MUSIC_DIRS=music)
    token = inst.admin_token(url)
    while len(requests.get(url + "/api/v1/tracks", headers={"Authorization": f"Bearer {token}"}).json()["items"]) < 12:
        time.sleep(0.2)
    time.sleep(2)
    # 30 s: the kernel counts CPU in 10 ms ticks, and every figure below has this one taken off.
    idle_cpu, idle_pss = cpu_percent(proc.pid, 30), pss_mb(tree(proc.pid))
    print(f"radio ({'PostgreSQL' if args.pg else 'SQLite'}, {args.track_seconds} s tracks): idle server {idle_cpu:.2f} % of a core, {idle_pss:.0f} MB PSS")

    started = time.time()
    create(url, token, "one")
    up = first_audio(url, "one", started)
    settle(url, token)
    one_cpu = cpu_percent(proc.pid, args.seconds) - idle_cpu
    print(f"  mount up {up:.2f} s after the station was created (liquidsoap {LIQUIDSOAP['up']})")
    print(f"  one MP3 station: {one_cpu:.2f} % of a core (target ≤ 1.5 %; liquidsoap {LIQUIDSOAP['cpu']}; ratio {one_cpu / LIQUIDSOAP_CPU:.2f})")
    with tempfile.TemporaryDirectory() as tmp:
        behind = capture(url, "one", args.seconds, os.path.join(tmp, "cap.mp3"))
        gaps = silences(os.path.join(tmp, "cap.mp3"))
    print(f"  audio received minus wall time over {args.seconds - 5} s: {behind:+.3f} s (liquidsoap {LIQUIDSOAP['behind']}); "
          f"silences ≥ 20 ms: {len(gaps)} (tracks change every {args.track_seconds} s)")

    started = time.time()
    create(url, token, "wave", outputs=("mp3", "hls"))
    while requests.get(url + "/hls/wave/live.m3u8").status_code != 200 or "#EXTINF" not in requests.get(url + "/hls/wave/live.m3u8").text:
        time.sleep(0.05)
    hls_up = time.time() - started
    settle(url, token)
    two_cpu = cpu_percent(proc.pid, args.seconds) - idle_cpu - one_cpu
    print(f"  first HLS segment listed {hls_up:.2f} s after creation (target ≤ 5 s; liquidsoap {LIQUIDSOAP['hls']})")
    print(f"  one MP3 + HLS station: {two_cpu:.2f} % of a core (target ≤ 3.5 %; liquidsoap {LIQUIDSOAP['hls_cpu']})")

    for i in range(args.stations - 2):
        create(url, token, f"s{i}")
    time.sleep(3)
    settle(url, token)
    many_cpu = cpu_percent(proc.pid, args.seconds) - idle_cpu
    pss = (pss_mb(tree(proc.pid)) - idle_pss) / args.stations
    print(f"  {args.stations} stations: {many_cpu:.1f} % of a core in all, {pss:.1f} MB PSS per station "
          f"(target ≤ 50 MB; liquidsoap {LIQUIDSOAP['pss']}); about {100 / max(many_cpu / args.stations, 0.01):.0f} stations per core "
          f"(target ≥ 60; liquidsoap {LIQUIDSOAP['per_core']})")
    # The same run per MP3-only station (one of the eight also makes HLS): eight stations' CPU
    # over a minute is a steadier measure of one station than one station's alone.
    print(f"  per MP3 station among them: {(many_cpu - two_cpu) / (args.stations - 1):.2f} % of a core (target ≤ 1.5 %)")

    before = cpu_seconds(tree(proc.pid))
    t = time.time()
    got = asyncio.run(listeners(url, "one", args.listeners, 20))
    spent = (cpu_seconds(tree(proc.pid)) - before) / (time.time() - t) * 100 - many_cpu
    print(f"  {args.listeners} listeners on one mount: {spent:.1f} % of a core above the stations' own "
          f"({got / 20 / 1e6 * 8:.0f} Mbit/s; icecast2: {LIQUIDSOAP['icecast1500']} for 1,500)")

    # kill -9 and back: how soon is the station audible again?
    proc.kill()
    proc.wait()
    killed = time.time()
    proc, url, _ = inst.serve(CADENZA_MUSIC_DIRS=music)
    print(f"  after kill -9: audible again {first_audio(url, 'one', killed):.2f} s later, server start included, resuming the "
          f"interrupted track at its position (liquidsoap {LIQUIDSOAP['kill9']})")
    inst.close()


if __name__ == "__main__":
    main()

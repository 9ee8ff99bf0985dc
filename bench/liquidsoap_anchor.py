"""The anchor of the radio bench, run in the same benchmark: Debian's liquidsoap (what LibreTime
and AzuraCast run) airing the same library, in the same order, to Debian's icecast2 as one MP3
128 kb/s mount, measured the way radio_bench.py measures Cadenza's stations: CPU time per wall
second and PSS of the liquidsoap process (icecast2's own not counted, as Cadenza's built-in mount
is), how soon the mount is audible, drift against the wall clock, silences at track boundaries,
a kill -9 and restart (how soon audible again, and where in the playlist it goes on), and a
second liquidsoap with an HLS output beside the mount (CPU, first segment).

Both refuse to run as root: as root they run as Debian's icecast2 user.
"""
import os
import shutil
import subprocess
import tempfile
import time

import requests

SOURCE_PASSWORD = "bench-source"


def as_service_user(command):
    return ["setpriv", "--reuid=icecast2", "--regid=icecast", "--init-groups"] + command if os.getuid() == 0 else command


def available():
    return shutil.which("liquidsoap") is not None and shutil.which("icecast2") is not None


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Anchor:
    """icecast2 on a loopback port, and liquidsoap processes pushing to it."""

    def __init__(self, music):
        self.dir = tempfile.mkdtemp(prefix="cadenza-anchor-")
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        os.makedirs(self.dir + "/log")
        self.tracks = sorted(os.path.join(music, name) for name in os.listdir(music) if name.endswith((".mp3", ".flac")))
        with open(self.dir + "/list.m3u", "w") as f:
            f.write("\n".join(self.tracks) + "\n")
        with open(self.dir + "/icecast.xml", "w") as f:
            f.write(f"""<icecast><limits><clients>100</clients><sources>5</sources><source-timeout>10</source-timeout></limits>
<authentication><source-password>{SOURCE_PASSWORD}</source-password><admin-user>admin</admin-user><admin-password>bench-admin</admin-password></authentication>
<hostname>127.0.0.1</hostname><listen-socket><port>{self.port}</port><bind-address>127.0.0.1</bind-address></listen-socket>
<paths><basedir>/usr/share/icecast2</basedir><logdir>{self.dir}/log</logdir><webroot>/usr/share/icecast2/web</webroot>
<adminroot>/usr/share/icecast2/admin</adminroot><pidfile>{self.dir}/icecast.pid</pidfile></paths>
<logging><accesslog>access.log</accesslog><errorlog>error.log</errorlog><loglevel>2</loglevel></logging>
<security><chroot>0</chroot></security></icecast>""")
        if os.getuid() == 0:
            subprocess.run(["chown", "-R", "icecast2", self.dir], check=True)
        self.icecast = subprocess.Popen(as_service_user(["icecast2", "-c", self.dir + "/icecast.xml"]),
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while self.status() is None:
            if time.time() > deadline:
                raise RuntimeError("icecast2 did not start")
            time.sleep(0.1)
        self.url = f"http://127.0.0.1:{self.port}"
        self.liquidsoaps = []

    def status(self):
        try:
            return requests.get(f"http://127.0.0.1:{self.port}/status-json.xsl", timeout=1).json()["icestats"]
        except (requests.RequestException, ValueError):
            return None

    def title(self, mount):
        sources = (self.status() or {}).get("source") or []
        sources = sources if isinstance(sources, list) else [sources]
        return next((s.get("title") for s in sources if s.get("listenurl", "").endswith(mount)), None)

    def start(self, mount, hls=None):
        """A liquidsoap airing the playlist in order to `mount` (and HLS segments of 4 s into `hls`)."""
        outputs = (f'output.icecast(%mp3(bitrate=128, samplerate=44100, stereo=true), host="127.0.0.1", port={self.port}, '
                   f'password="{SOURCE_PASSWORD}", mount="{mount}", name="anchor", s)\n')
        if hls:
            os.makedirs(hls, exist_ok=True)
            if os.getuid() == 0:
                subprocess.run(["chown", "-R", "icecast2", hls], check=True)
            outputs += (f'output.file.hls("{hls}", [("aac", %ffmpeg(format="mpegts", %audio(codec="aac", b="128k", '
                        f'ar=44100, channels=2)))], segment_duration=4.0, s)\n')
        script = os.path.join(self.dir, mount.strip("/").replace(".", "-") + ".liq")
        with open(script, "w") as f:
            f.write('settings.log.stdout.set(true)\nsettings.log.file.set(false)\nsettings.log.level.set(2)\n'
                    f'settings.init.allow_root.set(false)\n'
                    f's = mksafe(playlist(mode="normal", reload_mode="never", "{self.dir}/list.m3u"))\n' + outputs)
        os.chmod(script, 0o644)
        log = open(os.path.join(self.dir, "log", os.path.basename(script) + ".log"), "a")
        proc = subprocess.Popen(as_service_user(["liquidsoap", script]), stdout=log, stderr=subprocess.STDOUT)
        self.liquidsoaps.append(proc)
        return proc

    def close(self):
        for proc in self.liquidsoaps + [self.icecast]:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def first_audio(url, since, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            r = requests.get(url, stream=True, timeout=2)
            if r.status_code == 200:
                next(r.iter_content(1024))
                r.close()
                return time.time() - since
        except (requests.RequestException, StopIteration):
            pass
        time.sleep(0.02)
    return float("inf")


def measure(music, seconds, cpu_percent, pss_mb, capture, silences, track_seconds):
    """The anchor's figures, with radio_bench's own measuring functions."""
    anchor = Anchor(music)
    figures = {}
    try:
        started = time.time()
        proc = anchor.start("/anchor.mp3")
        mount = anchor.url + "/anchor.mp3"
        figures["up"] = first_audio(mount, started)
        time.sleep(5)
        figures["cpu"] = cpu_percent(proc.pid, seconds)
        figures["pss"] = pss_mb([proc.pid])
        with tempfile.TemporaryDirectory() as tmp:
            figures["behind"] = capture(mount, seconds, os.path.join(tmp, "cap.mp3"))
            figures["gaps"] = len(silences(os.path.join(tmp, "cap.mp3")))
        # kill -9 in the middle of a later track than the first, then started again as a supervisor would.
        while time.time() - started < track_seconds or (time.time() - started) % track_seconds < track_seconds / 2:
            time.sleep(0.1)
        before = anchor.title("/anchor.mp3")
        proc.kill()
        proc.wait()
        killed = time.time()
        proc = anchor.start("/anchor.mp3")
        figures["kill9"] = first_audio(mount, killed)
        time.sleep(1)
        figures["kill9_from"], figures["kill9_to"] = before, anchor.title("/anchor.mp3")
        proc.kill()
        proc.wait()
        # MP3 and HLS from one liquidsoap, as Cadenza's MP3 + HLS station.
        hls = os.path.join(anchor.dir, "hls")
        started = time.time()
        proc = anchor.start("/anchor-hls.mp3", hls=hls)
        playlist = os.path.join(hls, "aac.m3u8")
        while not (os.path.exists(playlist) and "#EXTINF" in open(playlist).read()) and time.time() - started < 60:
            time.sleep(0.05)
        figures["hls_up"] = time.time() - started
        time.sleep(5)
        figures["hls_cpu"] = cpu_percent(proc.pid, seconds)
    finally:
        anchor.close()
    return figures

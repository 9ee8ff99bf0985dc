"""Radio: a station created from the command line airs the autoDJ rotation at once, its
built-in mount plays gap-free audio with ICY titles where the audio changes, and the
now-playing API, the as-run log and the station API agree with what was heard."""
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from datetime import datetime, timedelta, timezone

import libsonic
import requests

from conftest import ADMIN_PASSWORD, SSEClient, auth, token_for, wait_for

TITLES = {"Kaloven - Night River", "Kaloven - Paper Static", "Milo - Lantern"}


def listen(url, seconds, icy=True, headers=None):
    """Reads a mount for `seconds`: the audio bytes, the ICY titles with the audio byte each
    arrived at, and the response headers."""
    r = requests.get(url, headers={**({"Icy-MetaData": "1"} if icy else {}), **(headers or {})}, stream=True, timeout=10)
    assert r.status_code == 200, r.text
    metaint = int(r.headers.get("icy-metaint", "0"))
    audio, titles, pending = bytearray(), [], bytearray()
    until_meta = metaint
    deadline = time.time() + seconds
    for chunk in r.iter_content(chunk_size=4096):
        pending += chunk
        while pending:
            if not metaint or until_meta > 0:
                n = len(pending) if not metaint else min(until_meta, len(pending))
                audio += pending[:n]
                del pending[:n]
                until_meta -= n
                continue
            length = pending[0] * 16
            if len(pending) < 1 + length:
                break
            block = bytes(pending[1:1 + length]).rstrip(b"\0").decode("utf-8")
            del pending[:1 + length]
            if block.startswith("StreamTitle='"):
                titles.append((len(audio), block[len("StreamTitle='"):block.index("';")]))
            until_meta = metaint
        if time.time() > deadline:
            break
    r.close()
    return bytes(audio), titles, r.headers


def silences(path):
    """(start, duration) of every silence ≥ 20 ms ffmpeg finds in an audio file."""
    out = subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-i", path, "-af", "silencedetect=noise=-50dB:d=0.02", "-f", "null", "-"],
                         capture_output=True, text=True).stderr
    starts = [float(line.split("silence_start: ")[1].split()[0]) for line in out.splitlines() if "silence_start: " in line]
    ends = [float(line.split("silence_duration: ")[1].split()[0]) for line in out.splitlines() if "silence_duration: " in line]
    return list(zip(starts, ends + [None] * (len(starts) - len(ends))))


def seconds_of(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path],
                         capture_output=True, text=True).stdout
    return float(out.strip())


def test_a_station_from_the_command_line_airs_gap_free_with_titles(deployment, server_with_music, tmp_path):
    server, token = server_with_music
    stream = SSEClient(server.url, token)
    made = deployment.run("station", "create", "night", "--name", "Night Ràdio", "--description", "All night")
    assert made.returncode == 0, made.stderr
    assert "/listen/night/radio.mp3" in made.stdout
    # On air within seconds, and its now-playing answers without signing in.
    np = lambda: requests.get(server.url + "/api/v1/stations/night/now-playing").json()
    assert wait_for(lambda: (np().get("nowPlaying") or {}).get("song"), timeout=15), np()
    first = np()
    assert first["onAir"] and first["name"] == "Night Ràdio"
    assert first["nowPlaying"]["song"]["text"] in TITLES and first["nowPlaying"]["source"] == "autodj"
    assert len(first["playingNext"]) >= 1
    # The event stream announces each item as it airs, with the instant as an ISO 8601 date.
    events = [e for e in stream.take(4, timeout=10) if e[2] == "station.now_playing"]
    stream.close()
    assert events, "no station.now_playing event"
    payload = events[0][3]["payload"]
    assert payload["station"] == "night" and payload["nowPlaying"]["song"]["text"] in TITLES
    assert payload["nowPlaying"]["playedAt"].startswith(time.strftime("%Y-", time.gmtime()))

    audio, titles, headers = listen(server.url + "/listen/night/radio.mp3", 12)
    assert headers["Content-Type"] == "audio/mpeg" and headers["icy-metaint"] == "16000"
    assert headers["icy-name"] == "Night Ràdio".encode().decode("latin-1")
    assert len(audio) > 12 * 16000 * 0.8
    # Titles come where the audio changes: every track is 3–4 s long, so a 12 s listen crosses
    # at least two boundaries, each announced once.
    assert len(titles) >= 3, titles
    assert all(t in TITLES for _, t in titles), titles
    assert all(a != b for (_, a), (_, b) in zip(titles, titles[1:]))
    capture = str(tmp_path / "capture.mp3")
    with open(capture, "wb") as f:
        f.write(audio)
    # Sine-tone tracks have no silent edges, so any silence is the playout's (the MP3 encoder's
    # priming at the very start is not).
    gaps = [s for s in silences(capture) if s[0] > 0.05]
    assert not gaps, gaps
    # Positive control: the same check finds 100 ms of silence spliced into the capture.
    spliced = str(tmp_path / "spliced.mp3")
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-i", capture, "-af",
                    "volume=enable='between(t,5,5.1)':volume=0", spliced], check=True)
    assert any(abs(s[0] - 5) < 0.1 for s in silences(spliced))
    # The stream keeps real time: it holds about as much audio as the listen took.
    assert 10 < seconds_of(capture) < 17

    # The as-run log has what aired, with the length each finished item really played.
    history = requests.get(server.url + "/api/v1/stations/night/history", headers=auth(token)).json()
    finished = [e for e in history if e.get("durationMs") is not None]
    assert len(finished) >= 2, history
    lengths = {"Night River": 4000, "Paper Static": 3000, "Lantern": 3000}
    for entry in finished:
        assert entry["source"] == "autodj"
        # ±60 ms: what aired, so a decoder starved of CPU on a loaded 2-core machine adds its
        # underrun; a track cut short or played twice is far outside it.
        assert abs(entry["durationMs"] - lengths[entry["title"]]) <= 60, entry
    csv = requests.get(server.url + "/api/v1/stations/night/history?format=csv", headers=auth(token))
    assert csv.headers["Content-Type"].startswith("text/csv")
    lines = csv.text.splitlines()
    assert lines[0] == "started_at,duration_ms,source,artist,title,album,year,recording_mbid,track_id"
    assert len(lines) == len(history) + 1
    # Each row names the album the track is on, for royalty reports.
    import csv as csvlib
    rows = list(csvlib.DictReader(lines))
    albums = {"Night River": "Glass Echo", "Paper Static": "Glass Echo", "Lantern": "Orbit"}
    assert all(row["album"] == albums[row["title"]] for row in rows if row["title"] in albums), rows
    # A period, by the station's dates (both included): today's rows are all of them; another day has none.
    from datetime import datetime
    from zoneinfo import ZoneInfo
    zone = requests.get(server.url + "/api/v1/stations/night", headers=auth(token)).json()["timeZone"]
    today = datetime.now(ZoneInfo(zone)).strftime("%Y-%m-%d")
    period = requests.get(server.url + "/api/v1/stations/night/history", params={"format": "csv", "from": today, "to": today},
                          headers=auth(token))
    assert len(period.text.splitlines()) >= len(lines) and f"-as-run-{today}-to-{today}.csv" in period.headers["Content-Disposition"]
    other = requests.get(server.url + "/api/v1/stations/night/history", params={"from": "2001-01-01", "to": "2001-01-31"}, headers=auth(token))
    assert other.status_code == 200 and other.json() == []
    for bad in ({"from": "yesterday"}, {"from": "2027-02-02", "to": "2027-02-01"}, {"to": "2027-13-01"}):
        assert requests.get(server.url + "/api/v1/stations/night/history", params=bad, headers=auth(token)).status_code == 422, bad
    # Now playing agrees with the last title the listener was sent, or the one after it (the
    # listener's stream trails the bus by its buffer).
    latest = np()
    assert latest["songHistory"][0]["title"] in {t.split(" - ")[1] for t in TITLES}
    assert latest["listeners"]["peak"] >= 1

    # Subsonic apps find the station among their internet radio stations, and can play it.
    r = requests.put(server.url + "/api/v1/me/subsonic-password", json={"password": "radio-pass-1", "currentPassword": ADMIN_PASSWORD},
                     headers=auth(token))
    assert r.status_code == 200, r.text
    client = libsonic.Connection("http://127.0.0.1", "root", "radio-pass-1", port=server.port, appName="cadenza-tests")
    stations = client.getInternetRadioStations()["internetRadioStations"]["internetRadioStation"]
    ours = [s for s in (stations if isinstance(stations, list) else [stations]) if s["name"] == "Night Ràdio"]
    assert len(ours) == 1 and "/listen/night/radio.mp3?listener=" in ours[0]["streamUrl"], stations
    audio, _, _ = listen(ours[0]["streamUrl"], 1, icy=False)
    assert len(audio) > 8000


def test_station_api_rules(deployment, server_with_music):
    server, token = server_with_music
    r = requests.post(server.url + "/api/v1/stations", headers=auth(token),
                      json={"slug": "day", "name": "Day", "visibility": "private", "outputs": ["mp3", "aac"]})
    assert r.status_code == 201, r.text
    station = r.json()
    assert station["mounts"] == ["/listen/day/radio.mp3", "/listen/day/radio.aac"]
    assert requests.post(server.url + "/api/v1/stations", headers=auth(token), json={"slug": "day", "name": "Again"}).status_code == 409
    for bad in [{"slug": "Day!", "name": "x"}, {"slug": "ok-slug", "name": ""}, {"slug": "tz", "name": "x", "timeZone": "Mars/Base"},
                {"slug": "x" * 41, "name": "x"}, {"name": "no slug"}, {"slug": "fade", "name": "x", "crossfadeMs": 20000}]:
        r = requests.post(server.url + "/api/v1/stations", headers=auth(token), json=bad)
        assert r.status_code in (400, 422), (bad, r.text)
        assert "error" in r.json()
    # A private station is invisible without signing in, and to other users.
    assert requests.get(server.url + "/api/v1/stations/day/now-playing").status_code == 404
    assert requests.get(server.url + "/listen/day/radio.mp3").status_code == 404
    made = deployment.run("user", "create", "guest", stdin="guest-password-1\n")
    assert made.returncode == 0, made.stderr
    guest = token_for(server, "guest", "guest-password-1")
    assert requests.get(server.url + "/api/v1/stations/day", headers=auth(guest)).status_code == 404
    assert [s["slug"] for s in requests.get(server.url + "/api/v1/stations", headers=auth(guest)).json()] == []
    # Its owner hears it on both mounts; the AAC one is ADTS audio.
    assert wait_for(lambda: requests.get(server.url + "/api/v1/stations/day/now-playing", headers=auth(token)).json()["onAir"], timeout=15)
    audio, _, headers = listen(server.url + "/listen/day/radio.aac", 3, icy=False, headers=auth(token))
    assert headers["Content-Type"] == "audio/aac" and "icy-metaint" not in headers
    assert audio[:2] in (b"\xff\xf1", b"\xff\xf9") or b"\xff\xf1" in audio[:4096]
    # Public now: listed to others, who still may not change it.
    r = requests.patch(server.url + "/api/v1/stations/day", headers=auth(token), json={"visibility": "public", "name": "Day Radio"})
    assert r.status_code == 200 and r.json()["name"] == "Day Radio"
    assert [s["slug"] for s in requests.get(server.url + "/api/v1/stations", headers=auth(guest)).json()] == ["day"]
    assert requests.patch(server.url + "/api/v1/stations/day", headers=auth(guest), json={"name": "Mine"}).status_code == 403
    assert requests.post(server.url + "/api/v1/stations/day/skip", headers=auth(guest)).status_code == 403
    assert requests.patch(server.url + "/api/v1/stations/day", headers=auth(token), json={"slug": "other"}).status_code == 422
    # A crossfade changes without going off air.
    r = requests.patch(server.url + "/api/v1/stations/day", headers=auth(token), json={"crossfadeMs": 800})
    assert r.status_code == 200 and r.json()["crossfadeMs"] == 800
    # Renamed and made public without going off air: listeners stay connected. Skip moves on at once.
    assert requests.get(server.url + "/api/v1/stations/day/now-playing").json()["name"] == "Day Radio"
    before = requests.get(server.url + "/api/v1/stations/day/now-playing").json()["nowPlaying"]["playedAt"]
    assert requests.post(server.url + "/api/v1/stations/day/skip", headers=auth(token)).status_code == 202
    assert wait_for(lambda: requests.get(server.url + "/api/v1/stations/day/now-playing").json()["nowPlaying"]["playedAt"] != before, timeout=5)
    # Play next: the track goes before what the rotation chose; only managers may ask, only for
    # tracks the station may play.
    lantern = next(t["id"] for t in requests.get(server.url + "/api/v1/tracks", headers=auth(token)).json()["items"] if t["title"] == "Lantern")
    assert requests.post(server.url + "/api/v1/stations/day/next", headers=auth(guest), json={"trackId": lantern}).status_code == 403
    assert requests.post(server.url + "/api/v1/stations/day/next", headers=auth(token), json={"trackId": "999999"}).status_code == 404
    assert requests.post(server.url + "/api/v1/stations/day/next", headers=auth(token), json={"trackId": "x"}).status_code == 422
    r = requests.post(server.url + "/api/v1/stations/day/next", headers=auth(token), json={"trackId": lantern})
    assert r.status_code == 202 and r.json()["title"] == "Lantern"
    assert wait_for(lambda: [s["title"] for s in requests.get(server.url + "/api/v1/stations/day/now-playing").json()["playingNext"]][:1] == ["Lantern"], timeout=3)
    # Made private again: who was listening without signing in is cut off, not left streaming.
    r = requests.get(server.url + "/listen/day/radio.mp3", stream=True, timeout=10)
    assert r.status_code == 200
    assert requests.patch(server.url + "/api/v1/stations/day", headers=auth(token), json={"visibility": "private"}).status_code == 200
    started = time.time()
    for _ in r.iter_content(4096):
        assert time.time() - started < 10, "the anonymous listener kept streaming a private station"
    assert requests.get(server.url + "/listen/day/radio.mp3").status_code == 404

    # A Subsonic app is given an address made for its user, since a radio player sends no
    # sign-in: the owner's plays the private station; the guest is not given it; the address
    # opens no other station and cannot be made up.
    def subsonic_stations(user, password, current, bearer):
        r = requests.put(server.url + "/api/v1/me/subsonic-password", json={"password": password, "currentPassword": current}, headers=auth(bearer))
        assert r.status_code == 200, r.text
        client = libsonic.Connection("http://127.0.0.1", user, password, port=server.port, appName="cadenza-tests")
        found = client.getInternetRadioStations()["internetRadioStations"].get("internetRadioStation", [])
        return {s["name"]: s["streamUrl"] for s in (found if isinstance(found, list) else [found])}
    mine = subsonic_stations("root", "radio-pass-1", ADMIN_PASSWORD, token)
    assert "Day Radio" in mine and "/listen/day/radio.mp3?listener=" in mine["Day Radio"], mine
    assert "Day Radio" not in subsonic_stations("guest", "guest-radio-2", "guest-password-1", guest)
    audio, _, _ = listen(mine["Day Radio"], 2, icy=False)
    assert len(audio) > 8000
    assert requests.post(server.url + "/api/v1/stations", headers=auth(token),
                         json={"slug": "dusk", "name": "Dusk", "visibility": "private"}).status_code == 201
    # (Dusk on air, and its owner heard there: a 404 below is the link refused, not the station away.)
    assert wait_for(lambda: requests.get(server.url + "/api/v1/stations/dusk/now-playing", headers=auth(token)).json()["onAir"], timeout=15)
    owner_hears = requests.get(server.url + "/listen/dusk/radio.mp3", headers=auth(token), stream=True, timeout=10)
    assert owner_hears.status_code == 200
    owner_hears.close()
    link = mine["Day Radio"].split("?", 1)[1]
    signature = link.split(".", 1)[1]
    forged = link[:-1] + ("A" if link[-1] != "A" else "B")
    guest_id = requests.get(server.url + "/api/v1/me", headers=auth(guest)).json()["id"]
    for url in [f"/listen/dusk/radio.mp3?{link}", f"/listen/day/radio.mp3?{forged}", f"/listen/day/radio.mp3?listener={guest_id}.{signature}",
                "/listen/day/radio.mp3?listener=x" * 40]:
        assert requests.get(server.url + url, timeout=10).status_code == 404, url
    # Deleted: off air.
    assert requests.delete(server.url + "/api/v1/stations/day", headers=auth(token)).status_code == 204
    assert requests.get(server.url + "/listen/day/radio.mp3").status_code == 404


def measured_kbps(audio, fmt, tmp_path):
    """The average bitrate of a stretch of a mount's audio, from its packets' sizes and durations
    (ADTS frames carry no bitrate of their own, MP3 frames their nominal one)."""
    path = tmp_path / f"rate.{fmt}"
    path.write_bytes(audio)
    out = subprocess.run(["ffprobe", "-v", "error", "-f", "mp3" if fmt == "mp3" else "aac", "-show_entries", "packet=size,duration_time",
                          "-of", "json", str(path)], capture_output=True, text=True).stdout
    # (The first packet may be cut: the stretch starts wherever the mount's burst did.)
    packets = [p for p in json.loads(out)["packets"][1:] if "duration_time" in p and "size" in p]
    seconds = sum(float(p["duration_time"]) for p in packets)
    assert seconds > 1, out[-500:]
    return sum(int(p["size"]) for p in packets) * 8 / seconds / 1000


def test_station_managers_run_a_station_but_do_not_own_it(deployment, server_with_music):
    server, token = server_with_music
    url = server.url + "/api/v1/stations/crew"
    assert requests.post(server.url + "/api/v1/stations", headers=auth(token),
                         json={"slug": "crew", "name": "Crew FM", "visibility": "private"}).status_code == 201
    for name in ("mara", "otto"):
        made = deployment.run("user", "create", name, stdin=f"{name}-password-1\n")
        assert made.returncode == 0, made.stderr
    mara, otto = (token_for(server, n, f"{n}-password-1") for n in ("mara", "otto"))
    # Not yet a manager: the private station does not exist for her.
    assert requests.get(url, headers=auth(mara)).status_code == 404
    assert requests.put(url + "/managers", headers=auth(token), json={"usernames": ["nobody"]}).status_code == 422
    r = requests.put(url + "/managers", headers=auth(token), json={"usernames": ["mara", "mara"]})
    assert r.status_code == 200 and r.json() == {"usernames": ["mara"]}
    # A manager sees it listed, hears it, and changes it as its owner does.
    station = requests.get(url, headers=auth(mara)).json()
    assert station["canManage"] is True and requests.get(url, headers=auth(otto)).status_code == 404
    assert [s["slug"] for s in requests.get(server.url + "/api/v1/stations", headers=auth(mara)).json()] == ["crew"]
    assert wait_for(lambda: requests.get(url + "/now-playing", headers=auth(mara)).json()["onAir"], timeout=15)
    with requests.get(server.url + "/listen/crew/radio.mp3", headers=auth(mara), stream=True, timeout=10) as stream:
        assert stream.status_code == 200 and len(next(stream.iter_content(4096))) > 0
    r = requests.patch(url, headers=auth(mara), json={"name": "Crew Radio", "crossfadeMs": 500})
    assert r.status_code == 200 and r.json()["name"] == "Crew Radio"
    before = requests.get(url + "/now-playing", headers=auth(mara)).json()["nowPlaying"]["playedAt"]
    assert requests.post(url + "/skip", headers=auth(mara)).status_code == 202
    assert wait_for(lambda: requests.get(url + "/now-playing", headers=auth(mara)).json()["nowPlaying"]["playedAt"] != before, timeout=5)
    r = requests.post(url + "/shows", headers=auth(mara), json={"title": "Crew Hour", "startDate": "2030-01-07", "startTime": "20:00",
                                                              "durationMinutes": 60, "repeat": "weekly", "weekdays": ["mon"]})
    assert r.status_code == 201, r.text
    r = requests.put(url + "/djs", headers=auth(mara), json={"usernames": ["otto"]})
    assert r.status_code == 200 and r.json() == {"usernames": ["otto"]}
    # What stays the owner's: naming managers and deleting the station.
    assert requests.get(url + "/managers", headers=auth(mara)).json() == {"usernames": ["mara"]}
    assert requests.put(url + "/managers", headers=auth(mara), json={"usernames": ["mara", "otto"]}).status_code == 403
    assert requests.delete(url, headers=auth(mara)).status_code == 403
    # A DJ is not a manager.
    assert requests.patch(url, headers=auth(otto), json={"name": "Otto FM"}).status_code == 404
    # Once removed, she is a stranger to the private station again.
    assert requests.put(url + "/managers", headers=auth(token), json={"usernames": []}).json() == {"usernames": []}
    assert requests.get(url, headers=auth(mara)).status_code == 404
    assert requests.get(server.url + "/listen/crew/radio.mp3", headers=auth(mara)).status_code == 404
    assert requests.get(url, headers=auth(token)).json()["canManage"] is True
    assert requests.delete(url, headers=auth(token)).status_code == 204


def test_a_mount_takes_as_many_listeners_as_its_station_allows(server_with_music):
    server, token = server_with_music
    h = auth(token)
    base = server.url + "/api/v1/stations/small"
    # A refused setting leaves no station behind (the slug is still free).
    assert requests.post(server.url + "/api/v1/stations", headers=h, json={"slug": "small", "name": "Small", "maxListeners": 0}).status_code == 422
    assert requests.post(server.url + "/api/v1/stations", headers=h, json={"slug": "small", "name": "Small", "trackGapMinutes": -1}).status_code == 422
    assert requests.get(base, headers=h).status_code == 404
    r = requests.post(server.url + "/api/v1/stations", headers=h, json={"slug": "small", "name": "Small", "maxListeners": 1})
    assert r.status_code == 201 and r.json()["maxListeners"] == 1, r.text
    assert wait_for(lambda: requests.get(base + "/now-playing").json().get("nowPlaying"), timeout=15)
    first = requests.get(server.url + "/listen/small/radio.mp3", stream=True, timeout=10)
    heard = first.iter_content(1024)
    assert first.status_code == 200 and next(heard)
    full = requests.get(server.url + "/listen/small/radio.mp3", timeout=10)
    assert full.status_code == 503 and full.json()["error"]["code"] == "listener_limit", full.text
    # Raised without going off air: the first listener stays, a second one gets in.
    r = requests.patch(base, headers=h, json={"maxListeners": 2})
    assert r.status_code == 200 and r.json()["maxListeners"] == 2
    second = requests.get(server.url + "/listen/small/radio.mp3", stream=True, timeout=10)
    assert second.status_code == 200 and next(second.iter_content(1024))
    received = 0
    while received < 32_000:   # two seconds more at 128 kb/s: the first listener was not cut off
        received += len(next(heard))
    assert requests.patch(base, headers=h, json={"maxListeners": 100_001}).status_code == 422
    first.close()
    second.close()


def test_a_station_airs_at_the_bitrate_its_manager_chose(deployment, server_with_music, tmp_path):
    server, token = server_with_music
    r = requests.post(server.url + "/api/v1/stations", headers=auth(token),
                      json={"slug": "thin", "name": "Thin", "outputs": ["mp3", "aac"], "bitrate": 64})
    assert r.status_code == 201, r.text
    assert r.json()["bitrate"] == 64
    for bad in [100, 0, -128, 10**12, "128", 128.5, None]:
        r = requests.patch(server.url + "/api/v1/stations/thin", headers=auth(token), json={"bitrate": bad})
        if bad is None:   # null leaves it as it is
            assert r.status_code == 200 and r.json()["bitrate"] == 64, r.text
            continue
        assert r.status_code in (400, 422), (bad, r.text)
        assert "error" in r.json()
    assert wait_for(lambda: requests.get(server.url + "/api/v1/stations/thin/now-playing").json()["onAir"], timeout=15)
    audio, _, headers = listen(server.url + "/listen/thin/radio.mp3", 4, icy=False)
    assert headers.get("icy-br") == "64"
    assert abs(measured_kbps(audio, "mp3", tmp_path) - 64) < 2
    audio, _, headers = listen(server.url + "/listen/thin/radio.aac", 4, icy=False)
    assert headers.get("icy-br") == "64"
    assert 48 < measured_kbps(audio, "aac", tmp_path) < 80
    # Raised: the station comes back on air at the new rate (its listeners reconnect, as on
    # AzuraCast when a mount's encoder changes).
    r = requests.patch(server.url + "/api/v1/stations/thin", headers=auth(token), json={"bitrate": 192})
    assert r.status_code == 200 and r.json()["bitrate"] == 192
    assert requests.get(server.url + "/api/v1/stations/thin", headers=auth(token)).json()["bitrate"] == 192
    listed = deployment.run("station", "list")
    assert listed.returncode == 0 and "thin\tThin\tpublic\tmp3,aac\t192 kb/s" in listed.stdout, listed.stdout
    refused = deployment.run("station", "create", "thick", "--name", "Thick", "--bitrate", "100")
    assert refused.returncode != 0 and "bitrate must be one of" in refused.stderr, refused.stderr

    def rate_now():
        try:   # (between the two playouts: refused, or too little audio yet)
            audio, _, headers = listen(server.url + "/listen/thin/radio.mp3", 3, icy=False)
            return headers.get("icy-br") == "192" and abs(measured_kbps(audio, "mp3", tmp_path) - 192) < 2
        except (AssertionError, KeyError, ValueError, requests.RequestException):
            return False
    assert wait_for(rate_now, timeout=20)


def dominant_hz(mp3_bytes, tmp_path):
    """The tone's frequency in a stretch of MP3, from its rising zero crossings. Crossings count
    only past ±500 (of 32767), so the near-silent frames of a stream's first moments add no
    noise, and the period is the typical one between crossings, so silence does not dilute it."""
    path = tmp_path / "tone.mp3"
    path.write_bytes(mp3_bytes)
    # (-f mp3: a stretch cut from a stream at any byte is not left to format probing, which can
    # give up on it.)
    decoded = subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-f", "mp3", "-i", str(path), "-f", "s16le",
                              "-ac", "1", "-ar", "44100", "-"], capture_output=True)
    assert decoded.returncode == 0, (len(mp3_bytes), decoded.stderr[-500:])
    rising = rising_crossings(decoded.stdout)
    if len(rising) < 2:
        return 0.0
    # Cycle by cycle: the typical period, so that a gap (a decoder the loaded machine starved)
    # or a fade into another tone at the stretch's edge does not pull the figure.
    periods = sorted(b - a for a, b in zip(rising, rising[1:]))
    median = periods[len(periods) // 2]
    typical = [p for p in periods if 0.8 * median <= p <= 1.2 * median]
    return 44100 / (sum(typical) / len(typical))


def rising_crossings(pcm):
    """Sample indexes where mono s16 PCM rises through zero, counted only past ±500 (of 32767)
    so near-silence adds no noise."""
    import array
    samples = array.array("h", pcm[: len(pcm) // 2 * 2])
    rising, low = [], False
    for i, v in enumerate(samples):
        if v < -500:
            low = True
        elif v > 500 and low:
            rising.append(i)
            low = False
    return rising


def long_tone(tmp_path, high_seconds=30):
    """A music folder with one track, "Long Tone": 10 s at 440 Hz, then 880 Hz, so where a
    restart resumes can be heard."""
    music = tmp_path / "music"
    music.mkdir()
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=10",
                    "-f", "lavfi", "-i", f"sine=frequency=880:duration={high_seconds}", "-filter_complex", "[0][1]concat=n=2:v=0:a=1",
                    "-metadata", "title=Long Tone", "-metadata", "artist=Tester", str(music / "long.flac")], check=True)
    return music


def chirp(tmp_path, seconds=60):
    """A music folder with one track, "Chirp" (60 s), whose pitch rises 40 Hz a second from 300 Hz:
    the pitch heard says where in the track the station is."""
    music = tmp_path / "music"
    music.mkdir()
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", "lavfi", "-i",
                    f"aevalsrc=0.6*sin(2*PI*(300*t+20*t*t)):s=44100:d={seconds}", "-ac", "2",
                    "-metadata", "title=Chirp", "-metadata", "artist=Tester", str(music / "chirp.flac")], check=True)
    return music


def chirp_position(url, tmp_path, slug="steady", api=None):
    """Where in "Chirp" the mount at `url` is now, by its pitch in the newest half second received,
    and how far that is from where the clock says it should be (now playing from `api`, default
    `url`): (position, position - (now - playedAt))."""
    from datetime import datetime
    audio, _, _ = listen(f"{url}/listen/{slug}/radio.mp3", 3, icy=False)
    received = time.time()
    answer = requests.get(f"{api or url}/api/v1/stations/{slug}/now-playing").json()
    played_at = datetime.fromisoformat(answer["nowPlaying"]["playedAt"]).timestamp()
    path = tmp_path / "chirp.mp3"
    path.write_bytes(audio)
    pcm = subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-f", "mp3", "-i", str(path), "-f", "s16le",
                          "-ac", "1", "-ar", "44100", "-"], capture_output=True, check=True).stdout
    rising = rising_crossings(pcm[-44100:])   # the newest 0.5 s (2 bytes a sample)
    assert len(rising) > 10, len(rising)
    hz = 44100 * (len(rising) - 1) / (rising[-1] - rising[0])
    position = (hz - 300) / 40
    return position, position - (received - played_at)


def test_kill9_resumes_the_interrupted_track_at_its_position(deployment, tmp_path):
    from conftest import admin_token
    music = chirp(tmp_path)
    server = deployment.serve(CADENZA_MUSIC_DIRS=str(music))
    token = admin_token(deployment, server)
    assert wait_for(lambda: len(requests.get(server.url + "/api/v1/tracks", headers=auth(token)).json()["items"]) == 1)
    assert deployment.run("station", "create", "steady", "--name", "Steady").returncode == 0
    np = lambda s: requests.get(s.url + "/api/v1/stations/steady/now-playing").json()
    assert wait_for(lambda: (np(server).get("nowPlaying") or {}).get("elapsedMs", 0) >= 8_000, timeout=30)
    # Positive control, the same measure uninterrupted: the pitch matches the clock (up to the
    # pipeline's own delay, which the restart must not change by more than a second).
    position, control = chirp_position(server.url, tmp_path)
    print(f"uninterrupted: {position:.2f} s into the track, {control:+.2f} s against the clock")
    assert 8 < position < 20 and abs(control) < 2
    before = np(server)["nowPlaying"]
    server.kill9()
    killed = time.time()
    again = deployment.serve(CADENZA_MUSIC_DIRS=str(music))
    def audible():
        try:
            r = requests.get(again.url + "/listen/steady/radio.mp3", stream=True, timeout=2)
            return r.status_code == 200 and r.close() is None
        except requests.RequestException:
            return False
    assert wait_for(audible, timeout=15, interval=0.05)
    print(f"audible again {time.time() - killed:.2f} s after kill -9 (server start included)")
    # The interrupted track resumed where the clock says it is (within a second of the control),
    # not from its start.
    position, offset = chirp_position(again.url, tmp_path)
    print(f"after kill -9: {position:.2f} s into the track, {offset:+.2f} s against the clock")
    assert position > 12 and abs(offset - control) <= 1.0, (position, offset, control)
    after = np(again)["nowPlaying"]
    # Now playing keeps the play's first start: its progress runs on through the restart.
    from datetime import datetime
    at = lambda n: datetime.fromisoformat(n["playedAt"]).timestamp()
    assert after["song"]["title"] == "Chirp" and abs(at(after) - at(before)) <= 1.5, (before, after)
    # One as-run entry for the one play, interrupted or not.
    history = requests.get(again.url + "/api/v1/stations/steady/history", headers=auth(token)).json()
    assert len(history) == 1 and "durationMs" not in history[0], history


def test_an_hourly_station_id_owed_when_the_playout_died_is_aired_after_the_restart(deployment, tmp_path):
    """The ID's minute passed while a long song aired; the process died before the song ended
    (when the ID would have aired). The restarted one still owes this hour's ID, and airs it
    at the next song change (here a skip), not at the next hour."""
    from conftest import admin_token
    from datetime import datetime, timedelta, timezone
    music = chirp(tmp_path, seconds=150)
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", "lavfi", "-i", "sine=frequency=1000:duration=3",
                    "-metadata", "title=Station ID", "-metadata", "artist=Steady FM", str(music / "id.flac")], check=True)
    server = deployment.serve(CADENZA_MUSIC_DIRS=str(music))
    token = admin_token(deployment, server)
    h = auth(token)
    tracks = lambda: {t["title"]: t["id"] for t in requests.get(server.url + "/api/v1/tracks", headers=h).json()["items"]}
    assert wait_for(lambda: len(tracks()) == 2)
    base = server.url + "/api/v1/stations/steady"
    assert requests.post(server.url + "/api/v1/stations", headers=h, json={"slug": "steady", "name": "Steady"}).status_code == 201
    assert requests.post(base + "/playlists", headers=h, json={"name": "Music", "trackIds": [tracks()["Chirp"]], "rotationWeight": 1}).status_code == 201
    ids = requests.post(base + "/playlists", headers=h, json={"name": "IDs", "trackIds": [tracks()["Station ID"]]}).json()
    np = lambda s: requests.get(s.url + "/api/v1/stations/steady/now-playing").json()
    # The rotation (Chirp alone) on air from the start of a fresh Chirp.
    assert requests.post(base + "/skip", headers=h).status_code == 202
    assert wait_for(lambda: (np(server).get("nowPlaying") or {}).get("song", {}).get("title") == "Chirp"
                    and np(server)["nowPlaying"]["elapsedMs"] < 5_000, timeout=20)
    mark = datetime.now(timezone.utc).replace(second=0, microsecond=0) + timedelta(minutes=1)
    r = requests.patch(base, headers=h, json={"jinglePlaylistId": ids["id"], "jingleMinute": mark.minute})
    assert r.status_code == 200, r.text
    time.sleep(max(0.0, (mark - datetime.now(timezone.utc)).total_seconds() + 2))
    assert np(server)["nowPlaying"]["song"]["title"] == "Chirp"   # the minute passed inside the song
    server.kill9()
    again = deployment.serve(CADENZA_MUSIC_DIRS=str(music))
    assert wait_for(lambda: (np(again).get("nowPlaying") or {}).get("song", {}).get("title") == "Chirp", timeout=15)
    # The resumed song ends (skipped): what comes next is the ID this hour still owes.
    time.sleep(2)
    assert requests.post(base.replace(server.url, again.url) + "/skip", headers=h).status_code == 202
    assert wait_for(lambda: np(again)["nowPlaying"]["song"]["title"] == "Station ID", timeout=10), np(again)


def parse_playlist(text):
    """(target duration, media sequence, [(sequence, uri, extinf, program date-time)]) of a live HLS playlist."""
    from datetime import datetime
    lines = text.splitlines()
    assert lines[0] == "#EXTM3U", text
    target = int(next(l for l in lines if l.startswith("#EXT-X-TARGETDURATION:")).split(":")[1])
    sequence = int(next(l for l in lines if l.startswith("#EXT-X-MEDIA-SEQUENCE:")).split(":")[1])
    segments, extinf, pdt = [], None, None
    for line in lines:
        if line.startswith("#EXTINF:"):
            extinf = float(line.split(":")[1].rstrip(","))
        elif line.startswith("#EXT-X-PROGRAM-DATE-TIME:"):
            pdt = datetime.fromisoformat(line.split(":", 1)[1].replace("+0000", "+00:00")).timestamp()
        elif line and not line.startswith("#"):
            segments.append((sequence + len(segments), line, extinf, pdt))
            extinf = pdt = None
    return target, sequence, segments


def hls_listed(url, slug):
    """The station's live playlist parsed, or None while it lists no segment (or is not served)."""
    r = requests.get(f"{url}/hls/{slug}/live.m3u8", timeout=2)
    return parse_playlist(r.text) if r.status_code == 200 and "#EXTINF" in r.text else None


def test_hls_output_follows_rfc_8216(server_with_music, tmp_path):
    server, token = server_with_music
    started = time.time()
    r = requests.post(server.url + "/api/v1/stations", headers=auth(token), json={"slug": "wave", "name": "Wave", "outputs": ["mp3", "hls"]})
    assert r.status_code == 201, r.text
    assert "/hls/wave/live.m3u8" in r.json()["mounts"]
    playlist = server.url + "/hls/wave/live.m3u8"
    assert wait_for(lambda: requests.get(playlist).status_code == 200 and "#EXTINF" in requests.get(playlist).text, timeout=15, interval=0.1)
    print(f"first HLS segment listed {time.time() - started:.2f} s after the station was created")
    r = requests.get(playlist)
    assert r.headers["Content-Type"] == "application/vnd.apple.mpegurl" and r.headers["Cache-Control"] == "no-cache"
    # Watch the live playlist for a while: every rule a player relies on holds at every poll.
    bound, last_sequence, last_new, seen, errors = {}, -1, time.time(), 0, []
    deadline = time.time() + 14
    while time.time() < deadline:
        target, sequence, segments = parse_playlist(requests.get(playlist).text)
        if sequence < last_sequence:
            errors.append(f"media sequence went back {last_sequence} -> {sequence}")
        last_sequence = sequence
        for (n, uri, extinf, pdt), following in zip(segments, segments[1:] + [None]):
            if round(extinf) > target:
                errors.append(f"EXTINF {extinf} over the target {target}")
            if bound.setdefault(n, uri) != uri:
                errors.append(f"sequence {n} re-bound to {uri}")
            if pdt is None:
                errors.append(f"segment {n} has no program date-time")
            elif following and following[3] is not None and abs(following[3] - pdt - extinf) > 0.05:
                errors.append(f"program date-time jumps after {n}: {following[3] - pdt:.3f} s for {extinf} s")
        numbers = sorted(bound)
        if numbers != list(range(numbers[0], numbers[-1] + 1)):
            errors.append(f"sequence gap in {numbers}")
        if len(bound) != seen:
            seen, last_new = len(bound), time.time()
        elif time.time() - last_new > 1.5 * target:
            errors.append("no new segment for 1.5 target durations")
        time.sleep(1)
    assert not errors, errors[:5]
    assert len(bound) >= 3
    # A segment is AAC audio of the length its EXTINF says (packet end times; ±30 ms).
    _, _, segments = parse_playlist(requests.get(playlist).text)
    n, uri, extinf, _ = segments[-2]
    seg = requests.get(server.url + "/hls/wave/" + uri)
    assert seg.status_code == 200 and seg.headers["Content-Type"] == "video/mp2t"
    (tmp_path / "seg.ts").write_bytes(seg.content)
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "packet=pts_time,duration_time:stream=codec_name,sample_rate,channels",
                            "-of", "csv=p=0", str(tmp_path / "seg.ts")], capture_output=True, text=True).stdout.split()
    assert "aac,44100,2" in probe, probe[-3:]
    packets = [tuple(map(float, p.split(","))) for p in probe if p.count(",") == 1]
    assert abs(packets[-1][0] + packets[-1][1] - packets[0][0] - extinf) <= 0.03
    # Only the encoder's own files are served from the folder.
    for bad in ["../../cadenza.sqlite", "seg_1.ts", "live.m3u8.tmp", "x.ts"]:
        assert requests.get(server.url + "/hls/wave/" + bad).status_code == 404, bad


def test_the_station_airs_through_a_database_outage_and_its_log_arrives_after(deployment, tmp_path):
    """PostgreSQL stopped for a minute: the station goes on choosing and airing (its titles keep
    changing, no silence), what aired meanwhile reaches the as-run log when it is back, and a
    show scheduled then airs (the playout reads the schedule again)."""
    import pytest
    from conftest import ADMIN_PASSWORD
    if os.environ.get("CADENZA_TEST_DATABASE_URL"):
        pytest.skip("brings its own PostgreSQL: run once, in the SQLite pass")
    scripts = os.path.join(os.path.dirname(__file__), "../../scripts/pg.sh")
    pg_dir = tempfile.mkdtemp(prefix="cadenza-outage-")
    url = subprocess.run([scripts, "start", pg_dir + "/pg"], capture_output=True, text=True, check=True).stdout.strip()
    try:
        music = tmp_path / "music"
        music.mkdir()
        for i, hz in enumerate([330, 440, 550, 660]):
            subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", "lavfi", "-i",
                            f"sine=frequency={hz}:duration=3", "-metadata", f"title=Tone {i}", "-metadata", f"artist=Band {i}",
                            str(music / f"t{i}.flac")], check=True)
        server = deployment.serve(CADENZA_MUSIC_DIRS=str(music), CADENZA_DATABASE_URL=url)
        made = deployment.run("user", "create", "--admin", "root", stdin=ADMIN_PASSWORD + "\n", CADENZA_DATABASE_URL=url)
        assert made.returncode == 0, made.stderr
        token = token_for(server, "root", ADMIN_PASSWORD)
        assert wait_for(lambda: len(requests.get(server.url + "/api/v1/tracks", headers=auth(token)).json()["items"]) == 4)
        assert requests.post(server.url + "/api/v1/stations", headers=auth(token), json={"slug": "steady", "name": "Steady"}).status_code == 201
        assert wait_for(lambda: requests.get(server.url + "/api/v1/stations/steady/now-playing").json().get("nowPlaying"), timeout=15)
        time.sleep(2)   # the autoDJ has read its pool

        down = time.time()
        subprocess.run([scripts, "pause", pg_dir + "/pg"], check=True)
        audio, titles, _ = listen(server.url + "/listen/steady/radio.mp3", 60)
        # /metrics still answers (or every node would look down at once), and says why.
        metrics = requests.get(server.url + "/metrics", timeout=10)
        assert metrics.status_code == 200 and "cadenza_database_up 0" in metrics.text, metrics.text[-500:]
        subprocess.run([scripts, "resume", pg_dir + "/pg"], check=True)
        up = time.time()
        assert len({t for _, t in titles}) >= 3 and len(titles) >= 18, titles   # 3 s tracks: it kept choosing
        capture = str(tmp_path / "outage.mp3")
        with open(capture, "wb") as f:
            f.write(audio)
        assert not [s for s in silences(capture) if s[0] > 0.05]
        # Back: every item that started while the database was down is in the log, with its length.
        def logged():
            r = requests.get(server.url + "/api/v1/stations/steady/history", headers=auth(token))
            if r.status_code != 200:
                return []
            return [e for e in r.json() if down <= datetime.fromisoformat(e["startedAt"].replace("Z", "+00:00")).timestamp() <= up]
        assert wait_for(lambda: len(logged()) >= 18, timeout=30), logged()
        assert all(abs(e["durationMs"] - 3000) <= 60 for e in logged() if "durationMs" in e)
        assert "cadenza_database_up 1" in requests.get(server.url + "/metrics").text
        # And it takes schedule changes again: a show set up now airs from its start.
        base = server.url + "/api/v1/stations/steady"
        tones = {t["title"]: t["id"] for t in requests.get(server.url + "/api/v1/tracks", headers=auth(token)).json()["items"]}
        playlist = requests.post(base + "/playlists", headers=auth(token), json={"name": "After", "trackIds": [tones["Tone 3"]]}).json()
        start = datetime.now(timezone.utc) + timedelta(seconds=10)
        r = requests.post(base + "/shows", headers=auth(token), json={
            "title": "After the Outage", "playlistId": playlist["id"], "startDate": start.strftime("%Y-%m-%d"),
            "startTime": start.strftime("%H:%M:%S"), "durationMinutes": 1})
        assert r.status_code == 201, r.text
        np = lambda: requests.get(base + "/now-playing").json()
        assert wait_for(lambda: (np().get("show") or {}).get("title") == "After the Outage", timeout=40)
        assert wait_for(lambda: any(e["source"] == "scheduled" and e["title"] == "Tone 3"
                                    for e in requests.get(base + "/history", headers=auth(token)).json()), timeout=10)
    finally:
        subprocess.run([scripts, "stop", pg_dir + "/pg"], capture_output=True)
        shutil.rmtree(pg_dir, ignore_errors=True)


def test_hls_media_sequence_goes_on_after_a_kill(deployment, music):
    """kill -9 and a restart of the server airing an HLS station: the playlist a player reloads
    goes on after the last sequence number it listed, never back, and never renumbers a segment."""
    from conftest import admin_token
    server = deployment.serve(CADENZA_MUSIC_DIRS=str(music))
    token = admin_token(deployment, server)
    r = requests.post(server.url + "/api/v1/stations", headers=auth(token), json={"slug": "again", "name": "Again", "outputs": ["hls"]})
    assert r.status_code == 201, r.text

    def listed():
        return hls_listed(server.url, "again")
    assert wait_for(lambda: listed() and len(listed()[2]) >= 2, timeout=30)
    bound = {n: uri for n, uri, _, _ in listed()[2]}
    last = max(bound)
    server.kill9()
    server = deployment.serve(CADENZA_MUSIC_DIRS=str(music))
    # (The killed server's encoder, cut off from its input, first writes its last short segment
    # into the old playlist: the new server's playlist is the one that starts beyond that.)
    assert wait_for(lambda: listed() and listed()[1] > last + 1, timeout=30), listed()
    _, first, segments = listed()
    # A new playlist after everything the old one listed; no number bound to another segment.
    assert first > last, (last, first)
    number_of = {uri: n for n, uri in bound.items()}
    assert all(bound.get(n, uri) == uri and number_of.get(uri, n) == n for n, uri, _, _ in segments), (bound, segments)
    seg = requests.get(server.url + "/hls/again/" + segments[-1][1])
    assert seg.status_code == 200 and seg.headers["Content-Type"] == "video/mp2t"


def test_hls_players_keep_their_segments_through_a_bitrate_change(server_with_music, tmp_path):
    """A bitrate change puts a new playout on air: a player reloading the live playlist through
    it always gets one with segments and can fetch every segment each playlist lists (the new
    playout does not take the old one's segments away while a playlist still lists them), the
    media sequence never goes back, and the new run's segments are at the new rate."""
    server, token = server_with_music
    r = requests.post(server.url + "/api/v1/stations", headers=auth(token), json={"slug": "morph", "name": "Morph", "outputs": ["hls"]})
    assert r.status_code == 201, r.text

    def listed():
        return hls_listed(server.url, "morph")
    assert wait_for(lambda: listed() and len(listed()[2]) >= 2, timeout=30)
    # (Every run is numbered from the second it starts: the old run's numbers, one per 4 s since
    # it began, are well below the instant of the change.)
    changed_at = int(time.time())
    r = requests.patch(server.url + "/api/v1/stations/morph", headers=auth(token), json={"bitrate": 96})
    assert r.status_code == 200 and r.json()["bitrate"] == 96, r.text
    errors, last_sequence, new_run, old_listed, replaced_at = [], -1, [], [], None
    deadline = time.time() + 20
    while time.time() < deadline and len(new_run) < 2:
        r = requests.get(server.url + "/hls/morph/live.m3u8", timeout=2)
        # (ffmpeg signalled twice while writing its last playlist truncated it: served empty.)
        if r.status_code == 200 and "#EXTINF" not in r.text:
            errors.append(f"a playlist with no segment was served: {r.text[:80]!r}")
        parsed = parse_playlist(r.text) if r.status_code == 200 and "#EXTINF" in r.text else None
        if parsed:
            _, sequence, segments = parsed
            if sequence < last_sequence:
                errors.append(f"media sequence went back {last_sequence} -> {sequence}")
            last_sequence = sequence
            if any(n < changed_at - 1 for n, _, _, _ in segments):
                old_listed = [uri for n, uri, _, _ in segments]
            elif replaced_at is None:
                replaced_at = time.time()
            for n, uri, _, _ in segments:
                got = requests.get(server.url + "/hls/morph/" + uri, timeout=2)
                if got.status_code != 200:
                    errors.append(f"{uri} (listed) answered {got.status_code}")
                elif n >= changed_at - 1 and n not in [m for m, _ in new_run]:
                    new_run.append((n, got.content))
        time.sleep(0.2)
    assert not errors, errors[:5]
    assert len(new_run) >= 2, "the new playout's segments were not listed within 20 s"
    # A player that read the last playlist of the old run just before it was replaced, and
    # plays from its start (24 s behind the live edge), still finds those segments 12 s later.
    assert old_listed and replaced_at
    time.sleep(max(0, replaced_at + 12 - time.time()))
    gone = [uri for uri in old_listed if requests.get(server.url + "/hls/morph/" + uri, timeout=2).status_code != 200]
    assert not gone, f"segments of the old run's last playlist gone {time.time() - replaced_at:.0f} s after it was replaced: {gone}"
    # A full segment of the new run: AAC at 96 kb/s (from its packets' sizes and durations).
    (tmp_path / "new.ts").write_bytes(new_run[0][1])
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "a", "-show_entries", "packet=size,duration_time", "-of", "json",
                          str(tmp_path / "new.ts")], capture_output=True, text=True).stdout
    packets = [p for p in json.loads(out)["packets"] if "duration_time" in p and "size" in p]
    seconds = sum(float(p["duration_time"]) for p in packets)
    assert seconds > 1 and abs(sum(int(p["size"]) for p in packets) * 8 / seconds / 1000 - 96) < 6, (seconds, len(packets))


def test_a_crossfading_station_has_no_gaps(server_with_music, tmp_path):
    server, token = server_with_music
    r = requests.post(server.url + "/api/v1/stations", headers=auth(token), json={"slug": "fade", "name": "Fade", "crossfadeMs": 1000})
    assert r.status_code == 201 and r.json()["crossfadeMs"] == 1000
    assert wait_for(lambda: requests.get(server.url + "/api/v1/stations/fade/now-playing").json().get("nowPlaying"), timeout=15)
    audio, titles, _ = listen(server.url + "/listen/fade/radio.mp3", 10)
    assert len(titles) >= 3, titles
    capture = str(tmp_path / "fade.mp3")
    with open(capture, "wb") as f:
        f.write(audio)
    assert not [s for s in silences(capture) if s[0] > 0.05]
    # Each 3–4 s track airs a second less than its length before the next one starts.
    history = requests.get(server.url + "/api/v1/stations/fade/history", headers=auth(token)).json()
    lengths = {"Night River": 4000, "Paper Static": 3000, "Lantern": 3000}
    finished = [e for e in history if "durationMs" in e]
    assert finished and all(abs(e["durationMs"] - (lengths[e["title"]] - 1000)) <= 60 for e in finished), finished


def test_a_station_airing_silence_raises_dead_air(deployment, tmp_path):
    """The watchdog listens to the output: a station whose only track is 8 s of digital silence
    airs it (it is a track, not an empty queue), and after CADENZA_RADIO_SILENCE_SECONDS the
    administrator gets station.dead_air and the metric counts it."""
    from conftest import admin_token
    from media import make_audio
    music = tmp_path / "music"
    make_audio(str(music / "quiet.flac"), seconds=8, frequency=0, title="Quiet", artist="Nobody")
    server = deployment.serve(CADENZA_MUSIC_DIRS=str(music), CADENZA_RADIO_SILENCE_SECONDS=2)
    token = admin_token(deployment, server)
    assert wait_for(lambda: len(requests.get(server.url + "/api/v1/tracks", headers=auth(token)).json()["items"]) == 1)
    events = SSEClient(server.url, token)
    try:
        r = requests.post(server.url + "/api/v1/stations", headers=auth(token), json={"slug": "quiet", "name": "Quiet FM"})
        assert r.status_code == 201, r.text
        assert wait_for(lambda: (requests.get(server.url + "/api/v1/stations/quiet/now-playing").json().get("nowPlaying") or {})
                        .get("song", {}).get("title") == "Quiet", timeout=15)
        raised = events.take_type(1, "station.dead_air", timeout=20)
        assert raised and raised[0][3]["payload"]["slug"] == "quiet", raised
        assert re.search(r'^cadenza_radio_dead_air_total\{station="quiet"\} [1-9]', requests.get(server.url + "/metrics").text, re.M)
        assert "the output has been silent" in open(server.log.name).read()
    finally:
        events.close()


class Icecast:
    """Debian's icecast2 on a loopback port, as the external server a station pushes to. It
    refuses to run as root: as root it runs as its own Debian user."""

    def __init__(self, tmp, port=None, fallback_for=None, shoutcast_mount=None):
        """`fallback_for`: a mount whose listeners go to a file (a low tone, looped) while it has
        no source, and back as soon as a source connects again (fallback-override).
        `shoutcast_mount`: the mount a SHOUTcast source (on the port above) feeds."""
        from conftest import free_port, free_port_pair
        self.dir = tempfile.mkdtemp(prefix="cadenza-icecast-")
        self.port = port or (free_port_pair() if shoutcast_mount else free_port())
        os.makedirs(self.dir + "/log")
        webroot = "/usr/share/icecast2/web"
        mounts = ""
        if fallback_for:
            webroot = self.dir + "/web"
            shutil.copytree("/usr/share/icecast2/web", webroot)
            subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", "lavfi", "-i", "sine=frequency=200:duration=2",
                            "-ar", "44100", "-ac", "2", "-b:a", "128k", webroot + "/fallback.mp3"], check=True)
            mounts = (f"<mount type=\"normal\"><mount-name>{fallback_for}</mount-name><fallback-mount>/fallback.mp3</fallback-mount>"
                      "<fallback-override>1</fallback-override><limit-rate>16000</limit-rate></mount>")
        with open(self.dir + "/icecast.xml", "w") as f:
            f.write(f"""<icecast><limits><clients>50</clients><sources>5</sources><source-timeout>10</source-timeout></limits>
<authentication><source-password>hackme-src</source-password><admin-user>admin</admin-user><admin-password>hackme-admin</admin-password></authentication>
<hostname>127.0.0.1</hostname><location>test</location><admin>test@localhost</admin>
<listen-socket><port>{self.port}</port><bind-address>127.0.0.1</bind-address>{f"<shoutcast-mount>{shoutcast_mount}</shoutcast-mount>" if shoutcast_mount else ""}</listen-socket>
<mount type="default"><charset>UTF-8</charset></mount>{mounts}
<paths><basedir>/usr/share/icecast2</basedir><logdir>{self.dir}/log</logdir><webroot>{webroot}</webroot>
<adminroot>/usr/share/icecast2/admin</adminroot><pidfile>{self.dir}/icecast.pid</pidfile></paths>
<logging><accesslog>access.log</accesslog><errorlog>error.log</errorlog><loglevel>2</loglevel></logging>
<security><chroot>0</chroot></security></icecast>""")
        command = ["icecast2", "-c", self.dir + "/icecast.xml"]
        if os.getuid() == 0:
            subprocess.run(["chown", "-R", "icecast2", self.dir], check=True)
            os.chmod(self.dir, 0o755)
            command = ["setpriv", "--reuid=icecast2", "--regid=icecast", "--init-groups"] + command
        self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert wait_for(lambda: self.status() is not None, timeout=10), "icecast2 did not start"
        if shoutcast_mount:
            assert wait_for(lambda: self.accepts(self.port + 1), timeout=10), "icecast2 took no SHOUTcast port"

    @staticmethod
    def accepts(port):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False

    def status(self):
        try:
            return requests.get(f"http://127.0.0.1:{self.port}/status-json.xsl", timeout=1).json()["icestats"]
        except (requests.RequestException, ValueError):
            return None

    def source(self, mount):
        sources = (self.status() or {}).get("source") or []
        sources = sources if isinstance(sources, list) else [sources]
        return next((s for s in sources if s.get("listenurl", "").endswith(mount)), None)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)

    def close(self):
        if self.proc.poll() is None:
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def codec_of(audio, tmp_path):
    path = tmp_path / "relayed"
    path.write_bytes(audio)
    return subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_name", "-of", "csv=p=0", str(path)],
                          capture_output=True, text=True).stdout.strip()


def test_a_station_relays_to_icecast_and_shoutcast_servers_with_titles_and_reconnects(deployment, server_with_music, tmp_path):
    """AzuraCast's remote relays: the station is the source of mounts on other servers, Icecast
    (HTTP PUT) and SHOUTcast (the password on the port above the listeners'), each in its own
    format, each told the title; Debian's icecast2 plays both parts (its SHOUTcast-compatible port)."""
    from test_radio_schedule import at
    server, token = server_with_music
    icecast = Icecast(tmp_path, shoutcast_mount="/sc.mp3")
    port = icecast.port
    api = server.url + "/api/v1/stations/relay"
    try:
        # One relay, as a station was given one before there could be several.
        push = f"icecast://source:hackme-src@127.0.0.1:{port}/cadenza.mp3"
        r = requests.post(server.url + "/api/v1/stations", headers=auth(token), json={"slug": "relay", "name": "Relay", "pushUrl": push})
        assert r.status_code == 201, r.text
        assert r.json()["pushUrl"] == f"icecast://source:***@127.0.0.1:{port}/cadenza.mp3"   # never the password
        assert r.json()["pushUrls"] == [r.json()["pushUrl"]]
        for bad in ["http://x:y@127.0.0.1:8000/m.mp3", "icecast://127.0.0.1:8000/m.mp3", "icecast://a:b@127.0.0.1/m.mp3",
                    "icecast://a:b@127.0.0.1:8000/../x"]:
            r = requests.patch(api, headers=auth(token), json={"pushUrl": bad})
            assert r.status_code == 422, (bad, r.text)
        np = lambda: requests.get(api + "/now-playing").json()
        # The source is up on Icecast and carries what the station airs.
        assert wait_for(lambda: icecast.source("/cadenza.mp3"), timeout=15), icecast.status()
        assert wait_for(lambda: (icecast.source("/cadenza.mp3") or {}).get("title") in TITLES, timeout=15), icecast.source("/cadenza.mp3")
        audio, titles, headers = listen(f"http://127.0.0.1:{port}/cadenza.mp3", 6)
        assert headers.get("icy-name") == "Relay" and len(audio) > 4 * 16000 * 0.8
        # (Icecast sends an empty title first, for the audio of its burst from before the first update.)
        named = [t for _, t in titles if t]
        assert named and all(t in TITLES for t in named), titles
        assert wait_for(lambda: icecast.source("/cadenza.mp3")["title"] == np()["nowPlaying"]["song"]["text"], timeout=6)

        # Two relays: Icecast in AAC and SHOUTcast in MP3.
        aac = f"icecast://source:hackme-src@127.0.0.1:{port}/relay.aac?format=aac"
        shout = f"shoutcast://:hackme-src@127.0.0.1:{port}"
        for bad in [[aac, aac], [aac, shout] + [f"icecast://s:p@127.0.0.1:{port}/m{i}" for i in range(3)], [f"shoutcast://127.0.0.1:{port}"],
                    [f"shoutcast://:p@127.0.0.1:{port}/x"], [f"shoutcast://:p@127.0.0.1:65535"], [f"icecast://s:p@127.0.0.1:{port}/m?format=ogg"],
                    [f"shoutcast://:p%0d%0aicy-name:x@127.0.0.1:{port}"], "not a list"]:
            r = requests.patch(api, headers=auth(token), json={"pushUrls": bad})
            assert r.status_code in (400, 422) and "error" in r.json(), (bad, r.text)
        assert requests.patch(api, headers=auth(token), json={"pushUrls": [aac], "pushUrl": aac}).status_code == 422
        r = requests.patch(api, headers=auth(token), json={"pushUrls": [aac, shout]})
        assert r.status_code == 200, r.text
        assert r.json()["pushUrls"] == [f"icecast://source:***@127.0.0.1:{port}/relay.aac?format=aac", f"shoutcast://:***@127.0.0.1:{port}"]
        # Only an administrator relays a station (each is a connection of the instance's).
        made = deployment.run("user", "create", "dj", stdin="dj-password-1\n")
        assert made.returncode == 0, made.stderr
        dj = token_for(server, "dj", "dj-password-1")
        r = requests.post(server.url + "/api/v1/stations", headers=auth(dj), json={"slug": "mine", "name": "Mine", "pushUrls": [aac]})
        assert r.status_code == 403, r.text
        assert requests.post(server.url + "/api/v1/stations", headers=auth(dj), json={"slug": "mine", "name": "Mine"}).status_code == 201
        r = requests.patch(server.url + "/api/v1/stations/mine", headers=auth(dj), json={"pushUrls": [aac]})
        assert r.status_code == 403, r.text   # its owner, not an administrator
        assert requests.delete(server.url + "/api/v1/stations/mine", headers=auth(dj)).status_code == 204
        # How each relay is doing: for the station's owner and administrators, who see where it relays.
        assert requests.get(api + "/relays", headers=auth(dj)).status_code == 403
        assert requests.get(api + "/relays").status_code == 401
        assert requests.get(server.url + "/api/v1/stations/nope/relays", headers=auth(token)).status_code == 404
        relays = lambda: requests.get(api + "/relays", headers=auth(token)).json()

        assert wait_for(lambda: icecast.source("/cadenza.mp3") is None, timeout=10), icecast.status()
        relay_log = lambda: "\n".join(l for l in open(server.log.name).read().splitlines() if "relay" in l)[-3000:]
        for mount in ("/relay.aac", "/sc.mp3"):
            assert wait_for(lambda: (icecast.source(mount) or {}).get("title") in TITLES, timeout=20), (mount, icecast.source(mount), relay_log())
        audio, _, headers = listen(f"http://127.0.0.1:{port}/relay.aac", 4, icy=False)
        assert headers["Content-Type"] == "audio/aac" and codec_of(audio, tmp_path) == "aac"
        audio, _, headers = listen(f"http://127.0.0.1:{port}/sc.mp3", 4)
        assert headers.get("icy-name") == "Relay" and codec_of(audio, tmp_path) == "mp3"
        assert icecast.source("/sc.mp3")["bitrate"] == 128
        metrics = requests.get(server.url + "/metrics").text
        for relay in (f"icecast://source:\\*\\*\\*@127.0.0.1:{port}/relay.aac\\?format=aac", f"shoutcast://:\\*\\*\\*@127.0.0.1:{port}"):
            assert re.search(rf'^cadenza_radio_relay_connected\{{station="relay",relay="{relay}"\}} 1', metrics, re.M), metrics
        up = relays()
        assert [r["url"] for r in up] == [f"icecast://source:***@127.0.0.1:{port}/relay.aac?format=aac", f"shoutcast://:***@127.0.0.1:{port}"], up
        assert all(r["connected"] is True and "error" not in r and 0 <= time.time() - at(r["since"]) < 60 for r in up), up
        # Both follow the station's titles.
        assert requests.post(api + "/skip", headers=auth(token)).status_code in (200, 202, 204)
        on_air = lambda: np()["nowPlaying"]["song"]["text"]
        for mount in ("/relay.aac", "/sc.mp3"):
            assert wait_for(lambda: icecast.source(mount)["title"] == on_air(), timeout=8), (mount, icecast.source(mount), np())

        # Icecast restarts: both relays connect again by themselves (backing off meanwhile) and say the title again.
        icecast.close()
        # Their owner sees them down, since when and why.
        assert wait_for(lambda: all(r["connected"] is False and "refused" in r.get("error", "") for r in relays()), timeout=5), relays()
        assert all(0 <= time.time() - at(r["since"]) < 5 for r in relays()), relays()
        time.sleep(3)
        icecast = Icecast(tmp_path, port=port, shoutcast_mount="/sc.mp3")
        for mount in ("/relay.aac", "/sc.mp3"):
            assert wait_for(lambda: (icecast.source(mount) or {}).get("title") in TITLES, timeout=40), (mount, icecast.status())
        # The station itself never stopped.
        assert np()["onAir"]
        assert wait_for(lambda: all(r["connected"] is True for r in relays()), timeout=5), relays()

        # A wrong password is refused: tried again, said in the log without the password, the station airs on.
        r = requests.patch(api, headers=auth(token), json={"pushUrls": [f"shoutcast://:wrong-secret@127.0.0.1:{port}"]})
        assert r.status_code == 200, r.text
        assert wait_for(lambda: icecast.source("/relay.aac") is None and icecast.source("/sc.mp3") is None, timeout=10), icecast.status()
        log = lambda: open(server.log.name).read()
        assert wait_for(lambda: log().count(f"relay shoutcast://:***@127.0.0.1:{port}: the server closed the connection without answering") >= 2,
                        timeout=15), log()[-3000:]
        assert "wrong-secret" not in log() and "hackme-src" not in log()
        assert icecast.source("/sc.mp3") is None and np()["onAir"]
        # (icecast2 hangs up on a wrong SHOUTcast password without a word.)
        refused = lambda: [r for r in relays() if r["connected"] is False and "without answering" in r.get("error", "")]
        assert wait_for(lambda: len(refused()) == 1, timeout=10), relays()
        assert "wrong-secret" not in json.dumps(relays())
        r = requests.patch(api, headers=auth(token), json={"pushUrls": []})
        assert r.status_code == 200 and not r.json().get("pushUrls"), r.text
    finally:
        icecast.close()


class FakeShoutcast2:
    """What a SHOUTcast 2 server (DNAS 2) is sent by a legacy source of its stream N: the
    password as `password:#N` on the port above the listeners', then the stream's headers and
    audio; titles as `/admin.cgi?…&sid=N` on the listener port. (Debian has no DNAS.)"""

    def __init__(self):
        import http.server
        import socket
        import threading
        from conftest import free_port_pair
        self.port = free_port_pair()
        self.source = socket.socket()
        self.source.bind(("127.0.0.1", self.port + 1))
        self.source.listen(1)
        self.received, self.titles = bytearray(), []
        fake = self

        class Admin(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                fake.titles.append((self.path, self.headers.get("User-Agent", "")))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"<html><body>Updated</body></html>")

            def log_message(self, *args):
                pass

        self.http = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Admin)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while len(self.received) < 64000:   # (a source that comes back after a failed attempt is taken too)
            try:
                conn, _ = self.source.accept()
            except OSError:
                return
            self.received.clear()
            self.serve(conn)

    def serve(self, conn):
        conn.settimeout(10)
        with conn:
            first = b""
            while not first.endswith(b"\r\n"):
                byte = conn.recv(1)
                if not byte:
                    return
                first += byte
            self.received += first
            conn.sendall(b"OK2\r\nicy-caps:11\r\n\r\n")
            try:
                while len(self.received) < 64000:
                    data = conn.recv(65536)
                    if not data:
                        break
                    self.received += data
            except OSError:
                pass

    def close(self):
        self.http.shutdown()
        self.source.close()


def test_a_shoutcast2_relay_names_its_stream(server_with_music, tmp_path):
    server, token = server_with_music
    dnas = FakeShoutcast2()
    try:
        r = requests.post(server.url + "/api/v1/stations", headers=auth(token),
                          json={"slug": "sc2", "name": "Stream Two", "outputs": ["hls"], "pushUrls": [f"shoutcast://:pa55@127.0.0.1:{dnas.port}/2"]})
        assert r.status_code == 201, r.text
        assert wait_for(lambda: len(dnas.received) >= 64000, timeout=20), bytes(dnas.received[:300])
        head, _, audio = bytes(dnas.received).partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        assert lines[0] == b"pa55:#2", lines
        assert b"icy-name:Stream Two" in lines and b"icy-br:128" in lines and b"content-type:audio/mpeg" in lines
        assert codec_of(audio, tmp_path) == "mp3"   # its own MP3 encoder (the station has no MP3 mount)
        assert wait_for(lambda: any(p.startswith("/admin.cgi?") for p, _ in dnas.titles), timeout=10)
        path, agent = next((p, a) for p, a in dnas.titles if p.startswith("/admin.cgi?"))
        from urllib.parse import parse_qs, urlsplit
        query = parse_qs(urlsplit(path).query)
        assert query["pass"] == ["pa55"] and query["mode"] == ["updinfo"] and query["sid"] == ["2"] and query["song"][0] in TITLES, query
        assert agent.startswith("Mozilla/")   # SHOUTcast 1 answers browsers only
    finally:
        dnas.close()


def test_listener_statistics(deployment, music):
    from conftest import admin_token
    server = deployment.serve(CADENZA_MUSIC_DIRS=str(music), CADENZA_RADIO_STATS_SECONDS="1")
    token = admin_token(deployment, server)
    assert wait_for(lambda: len(requests.get(server.url + "/api/v1/tracks", headers=auth(token)).json()["items"]) == 3)
    assert requests.post(server.url + "/api/v1/stations", headers=auth(token),
                         json={"slug": "count", "name": "Count", "outputs": ["mp3", "hls"]}).status_code == 201
    assert wait_for(lambda: requests.get(server.url + "/api/v1/stations/count/now-playing").json().get("nowPlaying"), timeout=15)
    stats = lambda: requests.get(server.url + "/api/v1/stations/count/listeners", headers=auth(token)).json()
    r = requests.get(server.url + "/listen/count/radio.mp3", headers={"User-Agent": "TestPlayer/1.0"}, stream=True, timeout=10)
    chunks = r.iter_content(4096)
    next(chunks)
    now = stats()
    assert now["current"] == {"mp3": 1, "hls": 0} and now["userAgents"] == [{"agent": "TestPlayer/1.0", "listeners": 1}], now
    # An HLS player is a listener while it keeps asking for the live playlist (it has no connection).
    playlist = lambda: requests.get(server.url + "/hls/count/live.m3u8", headers={"User-Agent": "HLSPlayer/2"})
    assert wait_for(lambda: "#EXTINF" in playlist().text, timeout=20)
    assert playlist().status_code == 200
    now = stats()
    assert now["current"] == {"mp3": 1, "hls": 1}, now
    assert requests.get(server.url + "/api/v1/stations/count/now-playing").json()["listeners"]["current"] == 2
    assert sorted((a["agent"], a["listeners"]) for a in now["userAgents"]) == [("HLSPlayer/2", 1), ("TestPlayer/1.0", 1)], now
    deadline = time.time() + 3
    while time.time() < deadline:
        next(chunks)
    r.close()
    # Sampled each second: today has listening minutes (about 3 s of each listener), a peak of two,
    # and the players' own minutes, from the database.
    assert wait_for(lambda: stats()["days"] and stats()["days"][-1]["listeningMinutes"] >= 0.06, timeout=10), stats()
    assert stats()["days"][-1]["peakListeners"] == 2
    assert wait_for(lambda: stats()["current"]["mp3"] == 0, timeout=5)
    players = {p["agent"]: p["listeningMinutes"] for p in stats()["players"]}
    assert players.keys() == {"TestPlayer/1.0", "HLSPlayer/2"} and min(players.values()) >= 0.03, players
    assert requests.get(server.url + "/api/v1/stations/count/listeners?days=0", headers=auth(token)).status_code == 400


def listeners_station(deployment, tmp_path, slug, outputs):
    """Three 6 s tones on a station that may repeat them at once, and two listeners' tokens."""
    from conftest import admin_token
    from test_radio_schedule import tone
    music = tmp_path / "music"
    music.mkdir()
    for i in range(3):
        tone(music / f"t{i}.flac", 6, 440 + 110 * i, f"Tune {i}")
    server = deployment.serve(CADENZA_MUSIC_DIRS=str(music))
    h = auth(admin_token(deployment, server))
    assert wait_for(lambda: len(requests.get(server.url + "/api/v1/tracks", headers=h).json()["items"]) == 3)
    assert requests.post(server.url + "/api/v1/stations", headers=h, json={
        "slug": slug, "name": slug.title(), "outputs": outputs, "trackGapMinutes": 0, "artistGapMinutes": 0}).status_code == 201
    for name in ("fan", "brief"):
        assert deployment.run("user", "create", name, stdin=f"{name}-password-1\n").returncode == 0
    return server, h, token_for(server, "fan", "fan-password-1"), token_for(server, "brief", "brief-password-1")


def test_a_signed_in_listener_gets_listens_for_what_they_heard(deployment, tmp_path):
    from test_radio_schedule import at
    server, h, fan, brief = listeners_station(deployment, tmp_path, "heard", ["mp3"])
    assert wait_for(lambda: requests.get(server.url + "/api/v1/stations/heard/now-playing").json().get("nowPlaying"), timeout=15)
    # The personal stream URL (a player takes a URL, not a header); two seconds of "brief" is
    # not enough of any track, and an anonymous listener is nobody's listen.
    listen(server.url + f"/listen/heard/radio.mp3?token={brief}", 2, icy=False)
    listen(server.url + "/listen/heard/radio.mp3", 8, icy=False)
    connected = time.time()
    listen(server.url + f"/listen/heard/radio.mp3?token={fan}", 16, icy=False)
    left = time.time()
    # Listens arrive for the tracks the fan heard at least half of, when they began hearing them.
    lb = lambda tok, user: requests.get(server.url + f"/1/user/{user}/listens", headers={"Authorization": f"Token {tok}"}).json()["payload"]
    assert wait_for(lambda: lb(fan, "fan")["count"] >= 2, timeout=15), lb(fan, "fan")
    listens = lb(fan, "fan")["listens"]
    history = requests.get(server.url + "/api/v1/stations/heard/history", headers=h).json()
    aired = {int(at(e["startedAt"])): e["title"] for e in history}
    for entry in listens:
        started = entry["listened_at"]
        assert connected - 8 <= started <= left, (entry, connected, left)
        title = entry["track_metadata"]["track_name"]
        # Either the play's start (heard from its beginning) or when the fan tuned in to it.
        assert aired.get(started) == title or abs(started - connected) <= 2, (entry, aired)
        assert entry["track_metadata"]["additional_info"]["submission_client"] == "Cadenza radio"
    assert lb(brief, "brief")["count"] == 0


def mean_volume(path):
    out = subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-i", str(path), "-af", "volumedetect", "-f", "null", "-"],
                         capture_output=True, text=True).stderr
    return float(out.split("mean_volume: ")[1].split()[0])


def test_loudness_analysis_trims_silent_ends_and_normalises(deployment, tmp_path):
    """A quiet track padded with seconds of silence at both ends: once the analysis job has been
    over it, the station airs it back to back with no silence between plays, 12 dB louder (the
    most it raises anything); `normalize: false` airs it at its own level again."""
    from conftest import admin_token
    music = tmp_path / "music"
    music.mkdir()
    track = music / "quiet.flac"
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", "lavfi", "-i", "anullsrc=r=44100:cl=stereo:d=3",
                    "-f", "lavfi", "-i", "sine=frequency=440:duration=6", "-f", "lavfi", "-i", "anullsrc=r=44100:cl=stereo:d=4",
                    "-filter_complex", "[1]volume=-24dB,aformat=channel_layouts=stereo[t];[0][t][2]concat=n=3:v=0:a=1",
                    "-metadata", "title=Quiet", "-metadata", "artist=Padded", str(track)], check=True)
    tone = tmp_path / "tone.wav"
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-ss", "3.5", "-t", "5", "-i", str(track), str(tone)],
                   check=True)
    own_level = mean_volume(tone)
    server = deployment.serve(CADENZA_MUSIC_DIRS=str(music))
    token = admin_token(deployment, server)
    assert wait_for(lambda: len(requests.get(server.url + "/api/v1/tracks", headers=auth(token)).json()["items"]) == 1)
    assert deployment.run("station", "create", "padded", "--name", "Padded").returncode == 0
    station = requests.get(server.url + "/api/v1/stations/padded", headers=auth(token)).json()
    assert station["targetLufs"] == -16
    np = lambda: requests.get(server.url + "/api/v1/stations/padded/now-playing").json()
    assert wait_for(lambda: np().get("nowPlaying"), timeout=15)

    # What was queued before the analysis ran airs as it is: skip until an analysed play is on.
    def analysed_on_air():
        now = np()["nowPlaying"]
        if now["song"].get("gainDb") is not None:
            return True
        requests.post(server.url + "/api/v1/stations/padded/skip", headers=auth(token))
        time.sleep(1)
        return False
    assert wait_for(analysed_on_air, timeout=40, interval=0.2)
    now = np()
    assert now["nowPlaying"]["song"]["gainDb"] == 12.0, now
    # Trimmed: six seconds of tone, not thirteen of file.
    assert 5_800 <= now["nowPlaying"]["durationMs"] <= 6_200, now
    # Enough audio to judge (its burst and at least ten seconds of air), with time to spare for a
    # machine running both suites at once (once, 16 s of listening brought 11 s of audio there).
    audio, _, _ = listen(server.url + "/listen/padded/radio.mp3", 24, icy=False)
    aired = tmp_path / "aired.mp3"
    aired.write_bytes(audio)
    assert seconds_of(aired) > 14, seconds_of(aired)
    # The mount's first bytes are its burst from before the listener came: look past them.
    quiet = [(start, length) for start, length in silences(aired) if start > 1 and (length is None or length >= 0.05)]
    assert quiet == [], quiet
    louder = mean_volume(aired) - own_level
    assert 10.5 <= louder <= 13.5, (own_level, louder)

    # Normalisation off: the next plays come at the file's own level (trimmed still).
    r = requests.patch(server.url + "/api/v1/stations/padded", json={"normalize": False}, headers=auth(token))
    assert r.status_code == 200 and r.json().get("targetLufs") is None, r.text
    def plain_on_air():
        if np()["nowPlaying"]["song"].get("gainDb") is None:
            return True
        requests.post(server.url + "/api/v1/stations/padded/skip", headers=auth(token))
        time.sleep(1)
        return False
    assert wait_for(plain_on_air, timeout=40, interval=0.2)
    audio, _, _ = listen(server.url + "/listen/padded/radio.mp3", 6, icy=False)
    aired.write_bytes(audio[-40_000:])
    assert abs(mean_volume(aired) - own_level) <= 1.5
    r = requests.patch(server.url + "/api/v1/stations/padded", json={"targetLufs": -5}, headers=auth(token))
    assert r.status_code == 422, r.text


def tone_changes(pcm, rate=44100):
    """(second, Hz) of every change between steady tones in mono s16 PCM: cycle by cycle,
    placed at the first cycle of the new tone (±1 cycle)."""
    rising = rising_crossings(pcm)
    hz = [(a, rate / (b - a)) for a, b in zip(rising, rising[1:])]
    near = lambda f: min((440, 660, 880), key=lambda t: abs(t - f))
    changes, steady = [], None
    for k in range(len(hz) - 8):
        tone = near(hz[k][1])
        if all(near(f) == tone and abs(f - tone) < 40 for _, f in hz[k:k + 8]) and tone != steady:
            if steady is not None:
                changes.append((hz[k][0] / rate, tone))
            steady = tone
    return changes


def decode_mono(data, fmt, tmp_path):
    path = tmp_path / f"part.{fmt}"
    path.write_bytes(data)
    out = subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-f", fmt, "-i", str(path), "-f", "s16le",
                          "-ac", "1", "-ar", "44100", "-"], capture_output=True)
    assert out.returncode == 0, out.stderr[-300:]
    return out.stdout


def test_now_playing_says_when_each_output_hears_what_airs(deployment, tmp_path):
    """The API's playedAt plus an output's delay is when a listener of that output hears the
    item start: on the mount (a player given the burst), and on HLS, whose program date-times
    are on the same clock as playedAt."""
    from datetime import datetime
    from conftest import admin_token
    from media import make_audio
    music = tmp_path / "music"
    for name, hz in [("low", 440), ("mid", 660), ("high", 880)]:
        make_audio(str(music / f"{name}.flac"), seconds=5, frequency=hz, title=f"Tone {hz}", artist=f"Tester {hz}")
    server = deployment.serve(CADENZA_MUSIC_DIRS=str(music))
    token = admin_token(deployment, server)
    h = auth(token)
    assert wait_for(lambda: len(requests.get(server.url + "/api/v1/tracks", headers=h).json()["items"]) == 3)
    r = requests.post(server.url + "/api/v1/stations", headers=h, json={"slug": "tones", "name": "Tones", "outputs": ["mp3", "hls"]})
    assert r.status_code == 201, r.text
    np = lambda: requests.get(server.url + "/api/v1/stations/tones/now-playing").json()
    delays = lambda: {o["output"]: o for o in np().get("outputs") or []}
    # Once the burst is full and the first segments are listed, both outputs are timed.
    assert wait_for(lambda: {"mp3", "hls"} <= set(delays()) and np().get("nowPlaying"), timeout=30)
    time.sleep(6)
    timing = delays()
    assert timing["mp3"]["path"] == "/listen/tones/radio.mp3" and timing["hls"]["path"] == "/hls/tones/live.m3u8"
    mp3_delay = timing["mp3"]["delayMs"] / 1000
    # A 64 KB burst is 4.1 s of 128 kb/s audio, of which the bus's lead (1 s) is ahead of the clock.
    assert 2.5 <= mp3_delay <= 4.0, timing
    # A player that joins three target durations (12 s) from the end of the playlist.
    assert 9 <= timing["hls"]["delayMs"] / 1000 <= 20, timing

    # The mount: what a player connecting now plays, from the burst on, against the clock.
    r = requests.get(server.url + "/listen/tones/radio.mp3", stream=True, timeout=10)
    audio, connected = bytearray(), None
    for chunk in r.iter_content(chunk_size=4096):
        connected = connected or time.time()
        audio += chunk
        if time.time() - connected > 16:
            break
    r.close()
    heard = [(connected + s, hz) for s, hz in tone_changes(decode_mono(bytes(audio), "mp3", tmp_path))]
    assert len(heard) >= 2, heard
    time.sleep(2)   # the as-run log is written a moment after
    history = requests.get(server.url + "/api/v1/stations/tones/history", headers=h).json()
    at = lambda text: datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    starts = [(at(e["startedAt"]), int(e["title"].split()[1])) for e in history if e["title"].startswith("Tone ")]
    for when, hz in heard:
        said, said_hz = min(starts, key=lambda s: abs(s[0] + mp3_delay - when))
        # Within a quarter second of the API's word (the burst moves in 0.25 s steps)...
        assert said_hz == hz and abs(said + mp3_delay - when) <= 0.3, (when, hz, starts, mp3_delay)
        # ...where playedAt alone is seconds early.
        assert when - said >= 2.0
    print("mount: heard minus playedAt + delay:", [round(w - min(starts, key=lambda s: abs(s[0] + mp3_delay - w))[0] - mp3_delay, 3) for w, _ in heard])

    # HLS: each listed segment's program date-time places its audio on the playedAt clock.
    text = requests.get(server.url + "/hls/tones/live.m3u8").text
    _, _, segments = parse_playlist(text)
    found = []
    for n, uri, extinf, pdt in segments:
        pcm = decode_mono(requests.get(server.url + "/hls/tones/" + uri).content, "mpegts", tmp_path)
        found += [(pdt + s, hz) for s, hz in tone_changes(pcm)]
    assert len(found) >= 2, (found, text)
    print("HLS: program date-time minus playedAt:", [round(w - min(starts, key=lambda s: abs(s[0] - w))[0], 3) for w, _ in found])
    for when, hz in found:
        said, said_hz = min(starts, key=lambda s: abs(s[0] - when))
        assert said_hz == hz and abs(said - when) <= 0.1, (when, hz, starts)


def image(tmp_path, name, size="300x200", color="orange"):
    path = str(tmp_path / name)
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", "lavfi", "-i", f"color=c={color}:s={size}",
                    "-frames:v", "1", path], check=True)
    with open(path, "rb") as f:
        return f.read()


def picture_size(data, tmp_path):
    path = tmp_path / "probe.img"
    path.write_bytes(data)
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "csv=p=0",
                          str(path)], capture_output=True, text=True, check=True).stdout.strip()
    return tuple(int(n) for n in out.split(","))


def test_stations_and_shows_have_pictures_and_listeners_see_covers(deployment, server_with_music, tmp_path):
    server, token = server_with_music
    h = auth(token)
    base = server.url + "/api/v1/stations/pics"
    assert requests.post(server.url + "/api/v1/stations", headers=h, json={"slug": "pics", "name": "Pictures FM"}).status_code == 201
    assert requests.get(base).json().get("artworkUrl") is None
    assert requests.get(base + "/artwork").status_code == 404
    # Refused: not an image, a header that lies about its size, a canvas too large to decode
    # safely, a body over 5 MB, an empty body; none changes the station.
    r = requests.put(base + "/artwork", headers=h, data=b"<svg xmlns='http://www.w3.org/2000/svg'></svg>" * 3)
    assert r.status_code == 415 and r.json()["error"]["code"] == "unsupported_media_type", r.text
    png = image(tmp_path, "a.png")
    assert requests.put(base + "/artwork", headers=h, data=png[:20]).status_code == 422
    wide = image(tmp_path, "wide.png", size="9000x8")
    r = requests.put(base + "/artwork", headers=h, data=wide)
    assert r.status_code == 422 and "9000×8" in r.json()["error"]["message"], r.text
    assert requests.put(base + "/artwork", headers=h, data=png + b"\0" * (5 << 20)).status_code == 413
    assert requests.put(base + "/artwork", headers=h).status_code == 422
    assert requests.get(base).json().get("artworkUrl") is None
    # Someone who does not manage the station may not give it a picture.
    assert deployment.run("user", "create", "lena", stdin="lena-password-1\n").returncode == 0
    lena = token_for(server, "lena", "lena-password-1")
    assert requests.put(base + "/artwork", headers=auth(lena), data=png).status_code == 403
    # Its manager uploads one; anyone, signed out too, sees it, cached for good under its versioned URL.
    r = requests.put(base + "/artwork", headers={**h, "Content-Type": "image/png"}, data=png)
    assert r.status_code == 200, r.text
    url = r.json()["artworkUrl"]
    assert url.startswith("/api/v1/stations/pics/artwork?v=") and requests.get(base).json()["artworkUrl"] == url
    got = requests.get(server.url + url)
    assert got.status_code == 200 and got.content == png and got.headers["Content-Type"] == "image/png"
    assert "immutable" in got.headers["Cache-Control"] and got.headers["Cache-Control"].startswith("private")
    assert "no-cache" in requests.get(base + "/artwork").headers["Cache-Control"]   # the unversioned URL is revalidated
    small = requests.get(server.url + url + "&size=64")
    assert small.status_code == 200 and small.headers["Content-Type"] == "image/jpeg"
    assert picture_size(small.content, tmp_path) in ((64, 42), (64, 43))
    assert requests.get(server.url + url + "&size=0").status_code == 400
    assert [s.get("artworkUrl") for s in requests.get(server.url + "/api/v1/stations", headers=h).json()] == [url]
    # A new picture is a new URL.
    jpeg = image(tmp_path, "b.jpg", color="navy")
    second = requests.put(base + "/artwork", headers=h, data=jpeg).json()["artworkUrl"]
    assert second != url and requests.get(server.url + second).content == jpeg
    # A show has its own; while it is on air, now playing points at it instead of the station's.
    ids = {t["title"]: t["id"] for t in requests.get(server.url + "/api/v1/tracks", headers=h).json()["items"]}
    playlist = requests.post(base + "/playlists", headers=h, json={"name": "Hour", "trackIds": sorted(ids.values())}).json()
    start = datetime.now(timezone.utc) + timedelta(seconds=8)
    r = requests.post(base + "/shows", headers=h, json={"title": "Picture Hour", "startDate": start.strftime("%Y-%m-%d"), "playlistId": playlist["id"],
                                                        "startTime": start.strftime("%H:%M:%S"), "durationMinutes": 2})
    assert r.status_code == 201 and r.json().get("artworkUrl") is None, r.text
    show = r.json()["id"]
    assert requests.put(f"{base}/shows/{show}/artwork", headers=auth(lena), data=png).status_code == 403
    r = requests.put(f"{base}/shows/{show}/artwork", headers=h, data=png)
    assert r.status_code == 200 and r.json()["artworkUrl"] == f"/api/v1/stations/pics/shows/{show}/artwork?v={url.split('=')[1]}", r.text
    assert requests.get(server.url + r.json()["artworkUrl"]).content == png
    assert requests.get(base + "/shows").json()[0]["artworkUrl"] == r.json()["artworkUrl"]
    assert wait_for(lambda: (requests.get(base + "/now-playing").json().get("show") or {}).get("title") == "Picture Hour", timeout=30)
    assert requests.get(base + "/now-playing").json()["artworkUrl"] == r.json()["artworkUrl"]
    assert requests.delete(f"{base}/shows/{show}/artwork", headers=h).status_code == 204
    assert requests.get(base + "/now-playing").json()["artworkUrl"] == second
    # Listeners, signed out too, see the cover of what airs (the rotation plays all three tracks);
    # a track without one, or one the station never aired, has none.
    assert wait_for(lambda: any(e["title"] == "Night River" for e in requests.get(base + "/history", headers=h).json()), timeout=40)
    cover = requests.get(f"{base}/tracks/{ids['Night River']}/artwork")
    assert cover.status_code == 200 and cover.headers["Content-Type"] == "image/jpeg"
    assert picture_size(cover.content, tmp_path) == (300, 300)
    assert requests.get(f"{base}/tracks/{ids['Lantern']}/artwork").status_code == 404
    assert requests.get(f"{base}/tracks/999999/artwork").status_code == 404
    assert requests.get(server.url + f"/api/v1/stations/nowhere/tracks/{ids['Night River']}/artwork").status_code == 404
    # Private: the picture is as private as the station.
    assert requests.patch(base, headers=h, json={"visibility": "private"}).status_code == 200
    assert requests.get(server.url + second).status_code == 404
    assert requests.get(f"{base}/tracks/{ids['Night River']}/artwork").status_code == 404
    private = requests.get(server.url + second, headers=h)
    assert private.status_code == 200 and private.headers["Cache-Control"].startswith("private")
    # Removed: gone from the station and its URL.
    assert requests.delete(base + "/artwork", headers=h).status_code == 204
    assert requests.get(base, headers=h).json().get("artworkUrl") is None
    assert requests.get(base + "/artwork", headers=h).status_code == 404


def test_a_station_loops_its_fallback_track_when_nothing_else_can_air(deployment, tmp_path):
    """With nothing airable (the library's files gone, no local copies kept) a station airs its
    fallback: the first seconds of a track its manager chose, decoded while it could still be
    read and looped from memory; without one, the quiet 440 Hz tone."""
    from conftest import admin_token
    from media import make_audio
    music = tmp_path / "music"
    make_audio(str(music / "loop.flac"), seconds=4, frequency=660, title="Back Soon", artist="Station")
    make_audio(str(music / "song.flac"), seconds=4, frequency=330, title="Song", artist="Band")
    server = deployment.serve(CADENZA_MUSIC_DIRS=str(music), CADENZA_RADIO_MEDIA_CACHE_MB=0)
    token = admin_token(deployment, server)
    h = auth(token)
    assert wait_for(lambda: len(requests.get(server.url + "/api/v1/tracks", headers=h).json()["items"]) == 2)
    ids = {t["title"]: t["id"] for t in requests.get(server.url + "/api/v1/tracks", headers=h).json()["items"]}
    base = server.url + "/api/v1/stations/backup"
    for bad in ("999999", "x", "-3"):
        r = requests.post(server.url + "/api/v1/stations", headers=h, json={"slug": "backup", "name": "Backup", "fallbackTrackId": bad})
        assert r.status_code == 422 and "fallbackTrackId" in r.json()["error"]["message"], r.text
    r = requests.post(server.url + "/api/v1/stations", headers=h, json={"slug": "backup", "name": "Backup", "fallbackTrackId": ids["Back Soon"]})
    assert r.status_code == 201 and r.json()["fallbackTrackId"] == ids["Back Soon"], r.text
    assert wait_for(lambda: requests.get(base + "/now-playing").json().get("nowPlaying"), timeout=15)
    time.sleep(2)   # the playout reads its fallback a second after it goes on air
    # The storage goes away: every item fails, and the fallback airs in their place.
    shutil.rmtree(music)
    assert wait_for(lambda: (requests.get(base + "/now-playing").json().get("nowPlaying") or {}).get("source") == "fallback", timeout=30)
    time.sleep(4)   # past the mount's burst of what aired before
    audio, titles, _ = listen(server.url + "/listen/backup/radio.mp3", 4)
    assert abs(dominant_hz(audio[len(audio) // 2:], tmp_path) - 660) < 15
    assert titles and titles[-1][1] == "Backup", titles   # the station's name as the title
    # Without a fallback track: the tone.
    r = requests.patch(base, headers=h, json={"fallbackTrackId": ""})
    assert r.status_code == 200 and "fallbackTrackId" not in r.json(), r.text
    time.sleep(5)
    audio, _, _ = listen(server.url + "/listen/backup/radio.mp3", 4)
    assert abs(dominant_hz(audio[len(audio) // 2:], tmp_path) - 440) < 15


def test_a_signed_in_hls_listener_gets_listens_for_what_they_heard(deployment, tmp_path):
    """HLS has no connection: a player given the personal playlist address (`?token=`) listens from
    its first request for the live playlist until it stops asking, and gets listens for that."""
    from test_radio_schedule import at
    server, h, fan, brief = listeners_station(deployment, tmp_path, "segments", ["hls"])
    playlist = server.url + "/hls/segments/live.m3u8"
    assert wait_for(lambda: requests.get(playlist).status_code == 200, timeout=20)
    assert requests.get(playlist + "?token=not-a-token").status_code == 200   # a public station: heard as anonymous
    assert requests.get(playlist + f"?token={brief}").status_code == 200     # once: too little of anything
    started = time.time()
    while time.time() - started < 16:
        for query in (f"?token={fan}", ""):
            r = requests.get(playlist + query)
            assert r.status_code == 200 and r.text.startswith("#EXTM3U")
        time.sleep(2)
    last = time.time()
    lb = lambda tok, user: requests.get(server.url + f"/1/user/{user}/listens", headers={"Authorization": f"Token {tok}"}).json()["payload"]
    # Once the player has been quiet for a while it has left: its listens arrive.
    assert wait_for(lambda: lb(fan, "fan")["count"] >= 2, timeout=40), lb(fan, "fan")
    history = requests.get(server.url + "/api/v1/stations/segments/history", headers=h).json()
    aired = {int(at(e["startedAt"])): e["title"] for e in history}
    for entry in lb(fan, "fan")["listens"]:
        assert started - 6 <= entry["listened_at"] <= last, (entry, started, last)
        assert aired.get(entry["listened_at"]) == entry["track_metadata"]["track_name"] or abs(entry["listened_at"] - started) <= 2, (entry, aired)
    assert lb(brief, "brief")["count"] == 0
    # Taken off air (a bitrate change restarts the playout) while a listener is into a track: what
    # they heard of it counts, as it would have when the track ended.
    np = lambda: requests.get(server.url + "/api/v1/stations/segments/now-playing").json()["nowPlaying"]
    first = np()["playedAt"]
    assert wait_for(lambda: np()["playedAt"] != first, timeout=15, interval=0.05)
    while True:   # (now playing's clock: the bus runs ahead of the wall clock)
        assert requests.get(playlist + f"?token={brief}").status_code == 200
        if np()["remainingMs"] < 2200:
            break
        time.sleep(0.2)
    assert requests.patch(server.url + "/api/v1/stations/segments", headers=h, json={"bitrate": 96}).status_code == 200
    assert wait_for(lambda: lb(brief, "brief")["count"] == 1, timeout=15), lb(brief, "brief")

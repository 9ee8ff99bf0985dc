"""`cadenza playout --station SLUG`: a station aired by a process of its own while the servers
leave it alone (CADENZA_RADIO_PLAYOUT=external), and a second playout for the same station
standing by, which takes over within about two seconds of the first being killed, in the
interrupted track at its position."""
import os
import subprocess
import threading
import time
from urllib.parse import urlparse, urlunparse

import requests

from conftest import auth, postgres_only, wait_for
from tcpproxy import TCPProxy
from test_radio import Icecast, chirp, chirp_position, dominant_hz, listen, long_tone


def mount_up(server, slug):
    try:
        r = requests.get(server.url + f"/listen/{slug}/radio.mp3", stream=True, timeout=2)
        ok = r.status_code == 200
        r.close()
        return ok
    except requests.RequestException:
        return False


def test_a_standby_playout_takes_over_within_two_seconds(deployment, tmp_path):
    from conftest import admin_token
    music = chirp(tmp_path)
    server = deployment.serve(CADENZA_MUSIC_DIRS=str(music), CADENZA_RADIO_PLAYOUT="external")
    token = admin_token(deployment, server)
    assert wait_for(lambda: len(requests.get(server.url + "/api/v1/tracks", headers=auth(token)).json()["items"]) == 1)
    assert deployment.run("station", "create", "ha", "--name", "HA Radio").returncode == 0
    # The server leaves the station to its playout processes.
    time.sleep(3)
    assert not mount_up(server, "ha")
    first = deployment.playout("ha", node="alpha")
    second = deployment.playout("ha", node="beta")
    assert wait_for(lambda: mount_up(first, "ha") or mount_up(second, "ha"), timeout=10, interval=0.1)
    time.sleep(2)
    up = [p for p in (first, second) if mount_up(p, "ha")]
    assert len(up) == 1, "exactly one playout airs the station"
    active, standby = up[0], (second if up[0] is first else first)
    # The server's API says what the active playout announced.
    np = lambda: requests.get(server.url + "/api/v1/stations/ha/now-playing").json()
    assert wait_for(lambda: (np().get("nowPlaying") or {}).get("song", {}).get("title") == "Chirp", timeout=10)
    assert wait_for(lambda: np()["nowPlaying"]["elapsedMs"] >= 8_000, timeout=30)
    # Positive control: the active playout's pitch against the clock, by the same measure as after.
    _, control = chirp_position(active.url, tmp_path, slug="ha", api=server.url)
    active.kill9()
    killed = time.time()
    assert wait_for(lambda: mount_up(standby, "ha"), timeout=10, interval=0.05)
    took = time.time() - killed
    print(f"standby on air {took:.2f} s after kill -9 of the active playout")
    assert took <= 2.0, took
    # In the interrupted track, where the clock says (within a second of the control), not from its start.
    position, offset = chirp_position(standby.url, tmp_path, slug="ha", api=server.url)
    print(f"standby: {position:.2f} s into the track, {offset:+.2f} s against the clock (active: {control:+.2f} s)")
    assert position > 12 and abs(offset - control) <= 1.0, (position, offset, control)
    # One as-run entry for the one play, across the switch.
    history = requests.get(server.url + "/api/v1/stations/ha/history", headers=auth(token)).json()
    assert [e["title"] for e in history] == ["Chirp"], history


def test_listener_figures_of_a_separate_playout_reach_the_api(deployment, music):
    """The api server does not air the station: "now" comes from the playout's newest sample."""
    from conftest import admin_token
    server = deployment.serve(CADENZA_MUSIC_DIRS=str(music), CADENZA_RADIO_PLAYOUT="external", CADENZA_RADIO_STATS_SECONDS="1")
    token = admin_token(deployment, server)
    assert wait_for(lambda: len(requests.get(server.url + "/api/v1/tracks", headers=auth(token)).json()["items"]) == 3)
    assert deployment.run("station", "create", "apart", "--name", "Apart").returncode == 0
    playout = deployment.playout("apart", node="alpha", CADENZA_RADIO_STATS_SECONDS="1")
    assert wait_for(lambda: mount_up(playout, "apart"), timeout=15)
    stats = lambda: requests.get(server.url + "/api/v1/stations/apart/listeners", headers=auth(token)).json()
    r = requests.get(playout.url + "/listen/apart/radio.mp3", headers={"User-Agent": "FarPlayer/3"}, stream=True, timeout=10)
    chunks = r.iter_content(4096)
    next(chunks)
    def counted():
        next(chunks)
        now = stats()
        return now["current"] == {"mp3": 1} and now["userAgents"] == [{"agent": "FarPlayer/3", "listeners": 1}]
    assert wait_for(counted, timeout=10), stats()
    r.close()
    assert wait_for(lambda: stats()["current"] == {"mp3": 0}, timeout=10), stats()
    assert [p["agent"] for p in stats()["players"]] == ["FarPlayer/3"]


@postgres_only
def test_a_playout_cut_off_from_the_database_is_not_doubled_by_its_standby(deployment, tmp_path):
    """The active playout loses its database link while the standby still reaches the database:
    the active airs on (a station airs through an outage), and the standby, finding the lease
    expired, asks the holder itself first; since it answers, nobody airs twice. Killed, it is
    replaced within two seconds as before."""
    from conftest import admin_token
    music = long_tone(tmp_path, high_seconds=60)
    server = deployment.serve(CADENZA_MUSIC_DIRS=str(music), CADENZA_RADIO_PLAYOUT="external")
    token = admin_token(deployment, server)
    assert wait_for(lambda: len(requests.get(server.url + "/api/v1/tracks", headers=auth(token)).json()["items"]) == 1)
    assert deployment.run("station", "create", "fenced", "--name", "Fenced").returncode == 0
    db = urlparse(deployment.database_url)
    proxy = TCPProxy(db.hostname, db.port)
    try:
        through_proxy = urlunparse(db._replace(netloc=f"{db.username}@127.0.0.1:{proxy.port}"))
        active = deployment.playout("fenced", node="alpha", CADENZA_DATABASE_URL=through_proxy)
        assert wait_for(lambda: mount_up(active, "fenced"), timeout=10, interval=0.1)
        standby = deployment.playout("fenced", node="beta")
        time.sleep(2)
        assert mount_up(active, "fenced") and not mount_up(standby, "fenced")
        proxy.cut()
        cut = time.time()
        active_down = 0
        while time.time() - cut < 8:
            a, b = mount_up(active, "fenced"), mount_up(standby, "fenced")
            active_down += not a
            assert not b, f"the standby went on air {time.time() - cut:.2f} s after the active lost its database"
            time.sleep(0.1)
        assert active_down == 0, "the active playout went off air without its database"
        proxy.restore()
        time.sleep(3)
        assert mount_up(active, "fenced") and not mount_up(standby, "fenced")
        active.kill9()
        killed = time.time()
        assert wait_for(lambda: mount_up(standby, "fenced"), timeout=10, interval=0.05)
        print(f"standby on air {time.time() - killed:.2f} s after kill -9 of the active playout")
        assert time.time() - killed <= 2.0
    finally:
        proxy.close()


@postgres_only
def test_an_hls_listeners_media_sequence_never_goes_back_across_a_takeover(deployment, tmp_path):
    """Two playouts on different machines (here: different data directories) each write their own
    HLS playlist; behind a proxy a player reloading the playlist moves from one to the other. The
    standby's first media sequence must come after everything the active one listed (RFC 8216:
    a sequence number never goes back), as after a restart of either."""
    from conftest import admin_token
    from test_radio import parse_playlist
    music = long_tone(tmp_path, high_seconds=60)
    server = deployment.serve(CADENZA_MUSIC_DIRS=str(music), CADENZA_RADIO_PLAYOUT="external")
    token = admin_token(deployment, server)
    assert wait_for(lambda: len(requests.get(server.url + "/api/v1/tracks", headers=auth(token)).json()["items"]) == 1)
    r = requests.post(server.url + "/api/v1/stations", headers=auth(token), json={"slug": "hlsha", "name": "HLS HA", "outputs": ["mp3", "hls"]})
    assert r.status_code == 201, r.text
    active = deployment.playout("hlsha", node="alpha")

    def listed(playout):
        try:
            r = requests.get(playout.url + "/hls/hlsha/live.m3u8", timeout=2)
        except requests.RequestException:
            return None
        return parse_playlist(r.text) if r.status_code == 200 and "#EXTINF" in r.text else None
    assert wait_for(lambda: listed(active), timeout=20)
    other = tmp_path / "beta-data"
    other.mkdir()
    standby = deployment.playout("hlsha", node="beta", CADENZA_DATA_DIR=str(other))
    assert wait_for(lambda: listed(active) and len(listed(active)[2]) >= 3, timeout=30)
    last = listed(active)[2][-1][0]
    active.kill9()
    assert wait_for(lambda: listed(standby), timeout=20)
    _, first, segments = listed(standby)
    assert first > last, f"the standby's playlist starts at {first}, the active's had reached {last}"
    assert segments[0][3] is not None   # program date-time from the first segment on


@postgres_only
def test_a_standby_keeps_copies_and_takes_over_while_the_share_is_away(deployment, tmp_path):
    """The standby, on a machine of its own (here: its own data directory), copies what the
    station would air next while it stands by; the library's share goes away and the active
    playout dies: the standby airs the station from its copies, not the fallback tone."""
    from conftest import admin_token
    from test_radio_schedule import tone
    music = tmp_path / "music"
    music.mkdir()
    tones = {600: "Six", 700: "Seven", 800: "Eight"}
    for hz, title in tones.items():
        tone(music / f"{title}.flac", 20, hz, title)
    server = deployment.serve(CADENZA_MUSIC_DIRS=str(music), CADENZA_RADIO_PLAYOUT="external")
    token = admin_token(deployment, server)
    assert wait_for(lambda: len(requests.get(server.url + "/api/v1/tracks", headers=auth(token)).json()["items"]) == 3)
    r = requests.post(server.url + "/api/v1/stations", headers=auth(token),
                      json={"slug": "warm", "name": "Warm", "trackGapMinutes": 0, "artistGapMinutes": 0})
    assert r.status_code == 201, r.text
    active = deployment.playout("warm", node="alpha")
    assert wait_for(lambda: mount_up(active, "warm"), timeout=10, interval=0.1)
    other = tmp_path / "beta-data"
    other.mkdir()
    standby = deployment.playout("warm", node="beta", CADENZA_DATA_DIR=str(other))
    media = other / "playout" / "media"
    copies = lambda: sorted(f for f in (os.listdir(media) if media.is_dir() else []) if f.endswith(".flac"))
    assert wait_for(lambda: len(copies()) == 3, timeout=30), copies()
    assert not mount_up(standby, "warm")
    music.rename(tmp_path / "elsewhere")
    music.mkdir()
    active.kill9()
    assert wait_for(lambda: mount_up(standby, "warm"), timeout=10, interval=0.05)
    audio, _, _ = listen(standby.url + "/listen/warm/radio.mp3", 4, icy=False)
    assert 560 < dominant_hz(audio[-32000:], tmp_path) < 840, "a copy airs, not the fallback tone (440 Hz)"


def test_an_external_icecast_keeps_its_listeners_through_a_takeover(deployment, tmp_path):
    """Both playouts push to one Icecast mount; only the airing one is connected. Icecast is
    set up as the README says (a fallback file, fallback-override): when the active playout is
    killed its listeners hear the fallback for a moment and are moved back to the mount as soon
    as the standby's push connects, on the same connection, in the interrupted track."""
    from conftest import admin_token
    music = long_tone(tmp_path, high_seconds=60)
    icecast = Icecast(tmp_path, fallback_for="/ha.mp3")
    try:
        server = deployment.serve(CADENZA_MUSIC_DIRS=str(music), CADENZA_RADIO_PLAYOUT="external")
        token = admin_token(deployment, server)
        assert wait_for(lambda: len(requests.get(server.url + "/api/v1/tracks", headers=auth(token)).json()["items"]) == 1)
        push = f"icecast://source:hackme-src@127.0.0.1:{icecast.port}/ha.mp3"
        r = requests.post(server.url + "/api/v1/stations", headers=auth(token), json={"slug": "ha", "name": "HA", "pushUrl": push})
        assert r.status_code == 201, r.text
        first = deployment.playout("ha", node="alpha")
        second = deployment.playout("ha", node="beta")
        assert wait_for(lambda: icecast.source("/ha.mp3"), timeout=15), icecast.status()
        active = next(p for p in (first, second) if mount_up(p, "ha"))
        # The server airs nothing itself: the relay's status is what the airing playout wrote.
        relays = lambda: requests.get(server.url + "/api/v1/stations/ha/relays", headers=auth(token)).json()
        assert wait_for(lambda: relays()[0].get("connected") is True, timeout=5), relays()
        assert relays()[0]["url"] == f"icecast://source:***@127.0.0.1:{icecast.port}/ha.mp3"
        # A listener on Icecast, reading on a thread of its own from here on.
        r = requests.get(f"http://127.0.0.1:{icecast.port}/ha.mp3", stream=True, timeout=10)
        assert r.status_code == 200
        received, closed = bytearray(), []
        def read():
            try:
                for chunk in r.iter_content(4096):
                    received.extend(chunk)
                    if len(received) > 16000 * 90:
                        break
            except requests.RequestException as error:
                closed.append(error)
            closed.append("end")
        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        np = lambda: requests.get(server.url + "/api/v1/stations/ha/now-playing").json()
        assert wait_for(lambda: np()["nowPlaying"]["elapsedMs"] >= 12_000, timeout=30)
        began = icecast.source("/ha.mp3")["stream_start_iso8601"]
        active.kill9()
        killed = time.time()
        # The standby airs and its push connects anew: the listener is moved back to the mount.
        def back():
            source = icecast.source("/ha.mp3") or {}
            return source.get("stream_start_iso8601", began) != began and source.get("listeners") == 1
        assert wait_for(back, timeout=15, interval=0.1), icecast.status()
        print(f"listener back on the mount {time.time() - killed:.2f} s after kill -9 of the active playout")
        from test_radio_schedule import at
        assert wait_for(lambda: relays()[0].get("connected") is True and at(relays()[0]["since"]) > killed, timeout=5), relays()
        time.sleep(6)
        assert not closed, "the listener's connection was closed"
        # What it hears now (the newest two seconds; the fallback may still be in the socket's
        # buffers a moment) is the station's high tone, not Icecast's fallback file.
        print(f"{len(received)} bytes received")
        assert 840 < dominant_hz(bytes(received[-32000:]), tmp_path) < 920
        r.close()
    finally:
        icecast.close()


def test_a_managers_skip_and_play_next_reach_a_playout_of_its_own(deployment, tmp_path):
    """The web app talks to a server; the station airs in `cadenza playout`. A skip and a
    "play next" sent to the server are applied by the playout to its own queue."""
    from conftest import admin_token
    from test_radio_schedule import tone
    music = tmp_path / "music"
    music.mkdir()
    for i, hz in enumerate((330, 550, 770)):
        tone(music / f"t{i}.flac", 60, hz, f"Tone {i}")
    server = deployment.serve(CADENZA_MUSIC_DIRS=str(music), CADENZA_RADIO_PLAYOUT="external")
    token = admin_token(deployment, server)
    h = auth(token)
    assert wait_for(lambda: len(requests.get(server.url + "/api/v1/tracks", headers=h).json()["items"]) == 3)
    ids = {t["title"]: t["id"] for t in requests.get(server.url + "/api/v1/tracks", headers=h).json()["items"]}
    assert deployment.run("station", "create", "apart", "--name", "Apart").returncode == 0
    base = server.url + "/api/v1/stations/apart"
    # Nobody airs it yet: nothing to skip, and the request is not kept for later.
    time.sleep(2)
    r = requests.post(base + "/skip", headers=h)
    assert r.status_code == 409 and r.json()["error"]["message"], r.text
    playout = deployment.playout("apart", node="solo")
    history = lambda: sorted(requests.get(base + "/history", headers=h).json(), key=lambda e: e["startedAt"])
    assert wait_for(lambda: len(history()) == 1, timeout=15)
    first = history()[0]["title"]
    # "Play next" then skip, through the server: the chosen track airs at once.
    wanted = next(t for t in ids if t != first)
    r = requests.post(base + "/next", headers=h, json={"trackId": ids[wanted]})
    assert r.status_code == 202 and r.json()["title"] == wanted, r.text
    time.sleep(1)
    sent = time.time()
    assert requests.post(base + "/skip", headers=h).status_code == 202
    assert wait_for(lambda: len(history()) == 2, timeout=5, interval=0.1), history()
    print(f"skip through the server applied {time.time() - sent:.2f} s after the request")
    assert time.time() - sent < 2.5
    assert [e["title"] for e in history()] == [first, wanted]
    assert (requests.get(server.url + "/api/v1/stations/apart/now-playing").json()["nowPlaying"] or {})["song"]["title"] == wanted
    # Each request is applied once.
    time.sleep(2)
    assert len(history()) == 2, history()
    playout.stop()


def test_a_playout_restarted_while_the_database_is_down_airs_from_its_own_disk(deployment, tmp_path):
    """PostgreSQL stopped, then the playout killed and started again: it comes back on air from
    the state it kept on disk, in the interrupted track at its position, and what it aired
    reaches the as-run log once the database is back."""
    import os
    import shutil
    import tempfile
    from conftest import ADMIN_PASSWORD, token_for
    scripts = os.path.join(os.path.dirname(__file__), "../../scripts/pg.sh")
    pg_dir = tempfile.mkdtemp(prefix="cadenza-outage-")
    url = subprocess.run([scripts, "start", pg_dir + "/pg"], capture_output=True, text=True, check=True).stdout.strip()
    try:
        music = long_tone(tmp_path, high_seconds=40)
        db = {"CADENZA_DATABASE_URL": url}
        server = deployment.serve(CADENZA_MUSIC_DIRS=str(music), CADENZA_RADIO_PLAYOUT="external", **db)
        assert deployment.run("user", "create", "--admin", "root", stdin=ADMIN_PASSWORD + "\n", **db).returncode == 0
        token = token_for(server, "root", ADMIN_PASSWORD)
        assert wait_for(lambda: len(requests.get(server.url + "/api/v1/tracks", headers=auth(token)).json()["items"]) == 1)
        assert deployment.run("station", "create", "keep", "--name", "Keep", **db).returncode == 0
        playout = deployment.playout("keep", node="solo", **db)
        np = lambda: requests.get(playout.url + "/api/v1/stations/keep/now-playing").json()
        assert wait_for(lambda: (np().get("nowPlaying") or {}).get("elapsedMs", 0) >= 12_000, timeout=40)
        time.sleep(3.5)   # its state is on disk (written every 3 s)

        subprocess.run([scripts, "pause", pg_dir + "/pg"], check=True)
        playout.kill9()
        killed = time.time()
        again = deployment.playout("keep", node="solo", ready=False, **db)
        assert wait_for(lambda: mount_up(again, "keep"), timeout=15, interval=0.05)
        print(f"on air again {time.time() - killed:.2f} s after kill -9, the database down")
        audio, _, _ = listen(again.url + "/listen/keep/radio.mp3", 4, icy=False)
        assert 840 < dominant_hz(audio[-32000:], tmp_path) < 920
        subprocess.run([scripts, "resume", pg_dir + "/pg"], check=True)
        # Back: the one play of the track goes on in the log (not a second entry), and the
        # playout holds the station's lease again.
        history = lambda: requests.get(server.url + "/api/v1/stations/keep/history", headers=auth(token)).json()
        assert wait_for(lambda: requests.get(server.url + "/readyz").status_code == 200, timeout=30)
        time.sleep(3)
        assert [e["title"] for e in history()][-1:] == ["Long Tone"], history()
        assert sum(1 for e in history() if e["title"] == "Long Tone" and "durationMs" not in e) <= 1
        assert mount_up(again, "keep")
    finally:
        subprocess.run([scripts, "stop", pg_dir + "/pg"], capture_output=True)
        shutil.rmtree(pg_dir, ignore_errors=True)


def test_a_station_airs_its_copies_while_the_librarys_storage_is_away(deployment, tmp_path):
    """The library on a share that goes away (here: its folder moved off): the station airs on
    from its own copies of what it was about to air, content-addressed on its disk, also after
    a kill -9 while the share is still away."""
    from conftest import admin_token
    from test_radio_schedule import tone
    music = tmp_path / "music"
    music.mkdir()
    tones = {600: "Six", 700: "Seven", 800: "Eight"}
    for hz, title in tones.items():
        tone(music / f"{title}.flac", 6, hz, title)
    # The same content twice, under two names: kept once.
    (music / "Six again.flac").write_bytes((music / "Six.flac").read_bytes())
    server = deployment.serve(CADENZA_MUSIC_DIRS=str(music))
    token = admin_token(deployment, server)
    h = auth(token)
    assert wait_for(lambda: len(requests.get(server.url + "/api/v1/tracks", headers=h).json()["items"]) >= 3)
    r = requests.post(server.url + "/api/v1/stations", headers=h, json={"slug": "share", "name": "Share", "trackGapMinutes": 0,
                                                                       "artistGapMinutes": 0})
    assert r.status_code == 201, r.text
    media = os.path.join(deployment.data_dir, "playout", "media")
    copies = lambda: sorted(f for f in (os.listdir(media) if os.path.isdir(media) else []) if f.endswith(".flac"))
    assert wait_for(lambda: len(copies()) == 3, timeout=30), copies()
    assert all(len(name) == 64 + len(".flac") for name in copies())
    import hashlib
    expected = sorted(hashlib.sha256((music / f"{t}.flac").read_bytes()).hexdigest() + ".flac" for t in tones.values())
    assert copies() == expected
    # The share goes away: its mount point is left empty.
    away = tmp_path / "elsewhere"
    music.rename(away)
    music.mkdir()
    since = time.time()
    base = server.url + "/api/v1/stations/share"
    def aired():
        return [e for e in requests.get(base + "/history", headers=h).json() if at(e["startedAt"]) > since + 1]
    assert wait_for(lambda: len(aired()) >= 4, timeout=40, interval=1), aired()
    assert all(e["source"] == "autodj" for e in aired()), aired()
    audio, _, _ = listen(server.url + "/listen/share/radio.mp3", 4, icy=False)
    # (The tones are 600 to 800 Hz, and two seconds may hold a change from one to another.)
    assert 560 < dominant_hz(audio[-32000:], tmp_path) < 840, "a copy airs, not the fallback tone (440 Hz)"
    # The library keeps its tracks through the outage (a rescan finds no files and refuses).
    for library in requests.get(server.url + "/api/v1/libraries", headers=h).json():
        assert requests.post(server.url + f"/api/v1/libraries/{library['id']}/scan", headers=h).status_code == 202
    time.sleep(2)
    assert len(requests.get(server.url + "/api/v1/tracks", headers=h).json()["items"]) == 3
    # Killed and started again while the share is still away: on air from the copies at once.
    server.kill9()
    again = deployment.serve(CADENZA_MUSIC_DIRS=str(music))
    restarted = time.time()
    assert wait_for(lambda: mount_up(again, "share"), timeout=15, interval=0.1)
    time.sleep(8)
    audio, _, _ = listen(again.url + "/listen/share/radio.mp3", 4, icy=False)
    assert 560 < dominant_hz(audio[-32000:], tmp_path) < 840, "a copy airs after the restart, not the fallback tone (440 Hz)"
    later = [e for e in requests.get(again.url + "/api/v1/stations/share/history", headers=h).json() if at(e["startedAt"]) > restarted + 1]
    assert later and all(e["title"] in tones.values() and e["source"] == "autodj" for e in later), later


def at(text):
    from datetime import datetime
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()

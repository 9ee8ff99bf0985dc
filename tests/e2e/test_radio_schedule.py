"""Radio shows and the schedule: a show airs its playlist from its exact instant (the rotation
cut with a fade), is cut at its end, and the calendar keeps wall time across DST changes."""
import subprocess
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import requests

from conftest import auth, token_for, wait_for
from test_radio import dominant_hz, listen


def tone(path, seconds, hz, title):
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", "lavfi",
                    "-i", f"sine=frequency={hz}:duration={seconds}", "-metadata", f"title={title}", "-metadata", "artist=Tester",
                    str(path)], check=True)


def at(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def test_a_show_airs_its_playlist_at_its_instant_and_is_cut_at_its_end(deployment, tmp_path):
    from conftest import admin_token
    music = tmp_path / "music"
    music.mkdir()
    tone(music / "r1.flac", 40, 440, "Rotation One")
    tone(music / "r2.flac", 40, 440, "Rotation Two")
    tone(music / "s1.flac", 8, 660, "Show Opener")
    tone(music / "s2.flac", 90, 880, "Show Long")
    tone(music / "in.flac", 2, 1320, "Show Intro")
    tone(music / "out.flac", 5, 990, "Show Outro")
    tone(music / "cap.flac", 70, 550, "Night Cap")
    server = deployment.serve(CADENZA_MUSIC_DIRS=str(music))
    token = admin_token(deployment, server)
    h = auth(token)
    assert wait_for(lambda: len(requests.get(server.url + "/api/v1/tracks", headers=h).json()["items"]) == 7)
    ids = {t["title"]: t["id"] for t in requests.get(server.url + "/api/v1/tracks", headers=h).json()["items"]}
    zone = "America/New_York"
    r = requests.post(server.url + "/api/v1/stations", headers=h, json={"slug": "shows", "name": "Shows", "timeZone": zone})
    assert r.status_code == 201, r.text
    base = server.url + "/api/v1/stations/shows"
    # The playlist: the opener from 1 s to 7 s (cue points), then a track longer than the show.
    r = requests.post(base + "/playlists", headers=h, json={"name": "Evening", "entries": [
        {"trackId": ids["Show Opener"], "cueInMs": 1000, "cueOutMs": 7000}, {"trackId": ids["Show Long"]}]})
    assert r.status_code == 201, r.text
    playlist = r.json()
    assert [e["title"] for e in playlist["entries"]] == ["Show Opener", "Show Long"]
    # A one-minute show starting 25 s from now, in the station's wall time, with an intro and
    # an outro (tracks of the station's libraries only).
    start = (datetime.now(ZoneInfo(zone)) + timedelta(seconds=25)).replace(microsecond=0)
    show = {"title": "Evening Show", "hosts": ["Ada"], "playlistId": playlist["id"], "startDate": start.strftime("%Y-%m-%d"),
            "startTime": start.strftime("%H:%M:%S"), "durationMinutes": 1, "introTrackId": ids["Show Intro"]}
    for bad in ("999999", "x", "-1"):
        r = requests.post(base + "/shows", headers=h, json={**show, "outroTrackId": bad})
        assert r.status_code == 422 and "outroTrackId" in r.json()["error"]["message"], r.text
    r = requests.post(base + "/shows", headers=h, json={**show, "outroTrackId": ids["Show Outro"]})
    assert r.status_code == 201, r.text
    assert r.json()["introTrackId"] == ids["Show Intro"] and r.json()["outroTrackId"] == ids["Show Outro"], r.text
    # A second show right after it (back to back: its cut is armed while the first is on air).
    late = requests.post(base + "/playlists", headers=h, json={"name": "Late", "trackIds": [ids["Night Cap"]]}).json()
    after_start = start + timedelta(minutes=1)
    r = requests.post(base + "/shows", headers=h, json={
        "title": "Late Show", "playlistId": late["id"], "startDate": after_start.strftime("%Y-%m-%d"),
        "startTime": after_start.strftime("%H:%M:%S"), "durationMinutes": 1})
    assert r.status_code == 201, r.text
    # The calendar shows it, at that instant.
    calendar = requests.get(base + "/schedule", params={"from": start.strftime("%Y-%m-%d"), "days": 2}).json()
    assert [o["title"] for o in calendar] == ["Evening Show", "Late Show"], calendar
    show_start, show_end = at(calendar[0]["start"]), at(calendar[0]["end"])
    assert abs(show_start - start.timestamp()) < 0.01 and show_end - show_start == 60
    # Listen across the start: the title switches to the opener and its tone is what is heard.
    np = lambda: requests.get(base + "/now-playing").json()
    assert wait_for(lambda: time.time() >= show_start - 4, timeout=40, interval=0.2)
    audio, titles, _ = listen(server.url + "/listen/shows/radio.mp3", 9)
    switch = [offset for offset, title in titles if title == "Tester - Show Intro"]
    assert switch, titles
    assert 1280 < dominant_hz(audio[switch[0] + 4000: switch[0] + 20000], tmp_path) < 1360
    during = np()
    assert during["show"]["title"] == "Evening Show" and during["nowPlaying"]["source"] == "scheduled", during
    # After the end: the next show, at once.
    assert wait_for(lambda: time.time() >= show_end + 4, timeout=90, interval=0.5)
    history = sorted(requests.get(base + "/history", headers=h).json(), key=lambda e: e["startedAt"])
    scheduled = [e for e in history if e["source"] == "scheduled"]
    # Each item once: the first show is not joined again while the next one's cut waits.
    assert [e["title"] for e in scheduled] == ["Show Intro", "Show Opener", "Show Long", "Show Outro", "Night Cap"], history
    intro, opener, long, outro, cap = scheduled
    # Sample-exact instants: the intro at the show's start, the opener after its two seconds,
    # the long one after the opener's six cued seconds, cut where the five-second outro begins
    # so that it ends at the show's end; the rotation picks up there.
    assert abs(at(intro["startedAt"]) - show_start) <= 0.1, (intro, show_start)
    assert abs(at(opener["startedAt"]) - (show_start + 2)) <= 0.15, opener
    assert abs(opener["durationMs"] - 6000) <= 50, opener
    assert abs(at(long["startedAt"]) - (show_start + 8)) <= 0.15, long
    assert abs(at(long["startedAt"]) + long["durationMs"] / 1000 - (show_end - 5)) <= 0.1, (long, show_end)
    assert abs(at(outro["startedAt"]) - (show_end - 5)) <= 0.1 and abs(outro["durationMs"] - 5000) <= 100, (outro, show_end)
    before = [e for e in history if at(e["startedAt"]) < show_start - 0.05]
    assert before and before[-1]["source"] == "autodj"
    assert abs(at(before[-1]["startedAt"]) + before[-1]["durationMs"] / 1000 - show_start) <= 0.1, before[-1]
    assert abs(at(cap["startedAt"]) - show_end) <= 0.1, (cap, show_end)
    assert np()["show"]["title"] == "Late Show"


def test_show_rules_and_the_calendar_across_dst(deployment, server_with_music):
    server, token = server_with_music
    h = auth(token)
    assert requests.post(server.url + "/api/v1/stations", headers=h,
                         json={"slug": "dst", "name": "DST", "timeZone": "America/New_York"}).status_code == 201
    base = server.url + "/api/v1/stations/dst"
    # Sundays at 02:30, from 2027-03-07: on 2027-03-14 the clocks jump from 02:00 to 03:00 and
    # the show airs at 03:30 EDT, the same UTC instant as the week before; after that 02:30 EDT.
    r = requests.post(base + "/shows", headers=h, json={
        "title": "Night Owls", "startDate": "2027-03-07", "startTime": "02:30", "durationMinutes": 60, "repeat": "weekly",
        "weekdays": ["sun"]})
    assert r.status_code == 201, r.text
    owls = r.json()
    assert owls["weekdays"] == ["sun"] and owls["startTime"] == "02:30"
    calendar = requests.get(base + "/schedule", params={"from": "2027-03-07", "days": 21}).json()
    assert [o["localStart"] for o in calendar] == ["2027-03-07T02:30", "2027-03-14T03:30", "2027-03-21T02:30"], calendar
    assert [o["start"][:16] for o in calendar] == ["2027-03-07T07:30", "2027-03-14T07:30", "2027-03-21T06:30"]
    # In November 01:30 happens twice: the show airs at the first.
    r = requests.post(base + "/shows", headers=h, json={
        "title": "Fall Back", "startDate": "2027-11-07", "startTime": "01:30", "durationMinutes": 30})
    assert r.status_code == 201, r.text
    fall = [o for o in requests.get(base + "/schedule", params={"from": "2027-11-07", "days": 1}).json() if o["title"] == "Fall Back"]
    assert [o["start"][:16] for o in fall] == ["2027-11-07T05:30"], fall
    # A show that would air at the same time as another is refused, naming both.
    r = requests.post(base + "/shows", headers=h, json={
        "title": "Clash", "startDate": "2027-03-21", "startTime": "03:00", "durationMinutes": 60})
    assert r.status_code == 409 and "Night Owls" in r.json()["error"]["message"] and "Clash" in r.json()["error"]["message"], r.text
    # A show years ahead is checked too: a daily show that would run into it is refused.
    assert requests.post(base + "/shows", headers=h, json={
        "title": "Far Future", "startDate": "2031-06-01", "startTime": "12:00", "durationMinutes": 60}).status_code == 201
    r = requests.post(base + "/shows", headers=h, json={
        "title": "Every Noon", "startDate": "2027-04-01", "startTime": "12:30", "durationMinutes": 30, "repeat": "daily"})
    assert r.status_code == 409 and "Far Future" in r.json()["error"]["message"], r.text
    # One occurrence cancelled: the clash fits then; restoring the occurrence is refused while the clash is there.
    r = requests.put(base + f"/shows/{owls['id']}/occurrences/2027-03-21", headers=h, json={"cancelled": True})
    assert r.status_code == 200 and r.json()["cancelled"], r.text
    assert requests.post(base + "/shows", headers=h, json={
        "title": "Clash", "startDate": "2027-03-21", "startTime": "03:00", "durationMinutes": 60}).status_code == 201
    assert requests.delete(base + f"/shows/{owls['id']}/occurrences/2027-03-21", headers=h).status_code == 409
    # Moved instead: another occurrence airs at 05:00 that day.
    r = requests.put(base + f"/shows/{owls['id']}/occurrences/2027-03-28", headers=h, json={"startTime": "05:00"})
    assert r.status_code == 200 and r.json()["localStart"] == "2027-03-28T05:00" and r.json()["moved"], r.text
    # Bad input: the API's own errors, never a 500.
    for bad in [{"title": "", "startDate": "2027-01-01", "startTime": "10:00", "durationMinutes": 10},
                {"title": "x", "startDate": "2027-02-30", "startTime": "10:00", "durationMinutes": 10},
                {"title": "x", "startDate": "2027-01-01", "startTime": "24:00", "durationMinutes": 10},
                {"title": "x", "startDate": "2027-01-01", "startTime": "10:00", "durationMinutes": 0},
                {"title": "x", "startDate": "2027-01-01", "startTime": "10:00", "durationMinutes": 10, "repeat": "hourly"},
                {"title": "x", "startDate": "2027-01-01", "startTime": "10:00", "durationMinutes": 10, "weekdays": ["funday"]},
                {"title": "x", "startDate": "2027-01-01", "startTime": "10:00", "durationMinutes": 10, "until": "2026-01-01"},
                {"title": "x", "startDate": "2027-01-01", "startTime": "10:00", "durationMinutes": 10, "playlistId": "999"},
                {"title": "x", "startDate": "99999-01-01", "startTime": "10:00", "durationMinutes": 10}]:
        r = requests.post(base + "/shows", headers=h, json=bad)
        assert r.status_code in (400, 422), (bad, r.status_code, r.text)
    assert requests.get(base + "/schedule", params={"days": 1000}).status_code == 400
    assert requests.put(base + f"/shows/{owls['id']}/occurrences/2027-03-08", headers=h, json={"cancelled": True}).status_code == 404
    # Station playlists take only tracks the station may air, with cue points inside them.
    tracks = requests.get(server.url + "/api/v1/tracks", headers=h).json()["items"]
    assert requests.post(base + "/playlists", headers=h, json={"name": "x", "trackIds": ["999999"]}).status_code == 422
    assert requests.post(base + "/playlists", headers=h, json={
        "name": "x", "entries": [{"trackId": tracks[0]["id"], "cueInMs": 5000, "cueOutMs": 4000}]}).status_code == 422
    # An entry's own fades (instead of the station's crossfade) stay with it, within 0 to 10 s.
    assert requests.post(base + "/playlists", headers=h, json={
        "name": "x", "entries": [{"trackId": tracks[0]["id"], "fadeInMs": 10_001}]}).status_code == 422
    r = requests.post(base + "/playlists", headers=h, json={
        "name": "Faded", "entries": [{"trackId": tracks[0]["id"], "fadeInMs": 2500, "fadeOutMs": 0}, {"trackId": tracks[1]["id"]}]})
    assert r.status_code == 201, r.text
    faded = requests.get(base + f"/playlists/{r.json()['id']}", headers=h).json()["entries"]
    assert [(e.get("fadeInMs"), e.get("fadeOutMs")) for e in faded] == [(2500, 0), (None, None)], faded
    # The station's crossfade curve: one of three.
    assert requests.patch(base, headers=h, json={"crossfadeCurve": "wobbly"}).status_code in (400, 422)
    r = requests.patch(base, headers=h, json={"crossfadeCurve": "sCurve", "crossfadeMs": 1500})
    assert r.status_code == 200 and (r.json()["crossfadeCurve"], r.json()["crossfadeMs"]) == ("sCurve", 1500), r.text
    assert requests.get(base, headers=h).json()["crossfadeCurve"] == "sCurve"
    r = requests.post(base + "/playlists", headers=h, json={"name": "Copy", "trackIds": [t["id"] for t in tracks]})
    assert r.status_code == 201 and r.json()["entryCount"] == len(tracks), r.text
    # One occurrence given other content (and still moved): only that one airs it.
    copy = r.json()["id"]
    r = requests.put(base + f"/shows/{owls['id']}/occurrences/2027-03-28", headers=h, json={"startTime": "05:00", "playlistId": copy})
    assert r.status_code == 200 and r.json()["playlistId"] == copy and r.json()["localStart"] == "2027-03-28T05:00", r.text
    march = {o["date"]: o for o in requests.get(base + "/schedule", params={"from": "2027-03-07", "days": 28}).json() if o["title"] == "Night Owls"}
    assert march["2027-03-28"].get("playlistId") == copy and march["2027-03-14"].get("playlistId") is None, march
    assert requests.put(base + f"/shows/{owls['id']}/occurrences/2027-03-28", headers=h, json={"playlistId": "999999"}).status_code in (404, 422)
    # Others read the calendar of a public station, and change nothing.
    made = deployment.run("user", "create", "listener", stdin="listener-password-1\n")
    assert made.returncode == 0, made.stderr
    guest = auth(token_for(server, "listener", "listener-password-1"))
    assert len(requests.get(base + "/schedule", params={"from": "2027-03-07", "days": 7}).json()) == 1
    assert requests.post(base + "/shows", headers=guest, json={
        "title": "Mine", "startDate": "2027-06-01", "startTime": "10:00", "durationMinutes": 10}).status_code == 403
    assert requests.get(base + "/playlists", headers=guest).status_code == 403
    assert requests.delete(base + f"/shows/{owls['id']}", headers=guest).status_code == 403
    # Deleting the show takes its occurrences off the calendar.
    assert requests.delete(base + f"/shows/{owls['id']}", headers=h).status_code == 204
    assert [o["title"] for o in requests.get(base + "/schedule", params={"from": "2027-03-07", "days": 21}).json()] == ["Clash"]
    # A change that clashes with nothing goes through.
    far = next(s for s in requests.get(base + "/shows").json() if s["title"] == "Far Future")
    assert requests.patch(base + f"/shows/{far['id']}", headers=h, json={"title": "Far Future Live"}).status_code == 200


def test_kill9_in_a_show_resumes_the_scheduled_item_at_its_position(deployment, tmp_path):
    from conftest import admin_token
    music = tmp_path / "music"
    music.mkdir()
    tone(music / "r1.flac", 60, 330, "Rotation")
    # 10 s at 440 Hz, then 40 s at 880 Hz: where the restart resumes can be heard.
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=10",
                    "-f", "lavfi", "-i", "sine=frequency=880:duration=40", "-filter_complex", "[0][1]concat=n=2:v=0:a=1",
                    "-metadata", "title=Show Tone", "-metadata", "artist=Tester", str(music / "show.flac")], check=True)
    server = deployment.serve(CADENZA_MUSIC_DIRS=str(music))
    token = admin_token(deployment, server)
    h = auth(token)
    assert wait_for(lambda: len(requests.get(server.url + "/api/v1/tracks", headers=h).json()["items"]) == 2)
    ids = {t["title"]: t["id"] for t in requests.get(server.url + "/api/v1/tracks", headers=h).json()["items"]}
    assert requests.post(server.url + "/api/v1/stations", headers=h, json={"slug": "live", "name": "Live"}).status_code == 201
    base = server.url + "/api/v1/stations/live"
    playlist = requests.post(base + "/playlists", headers=h, json={"name": "P", "trackIds": [ids["Show Tone"]]}).json()
    start = (datetime.now(ZoneInfo("UTC")) + timedelta(seconds=20)).replace(microsecond=0)
    assert requests.post(base + "/shows", headers=h, json={
        "title": "Tone Hour", "playlistId": playlist["id"], "startDate": start.strftime("%Y-%m-%d"),
        "startTime": start.strftime("%H:%M:%S"), "durationMinutes": 5}).status_code == 201
    np = lambda s: requests.get(s.url + "/api/v1/stations/live/now-playing").json()
    assert wait_for(lambda: (np(server).get("nowPlaying") or {}).get("source") == "scheduled", timeout=40)
    assert wait_for(lambda: np(server)["nowPlaying"]["elapsedMs"] >= 13_000, timeout=30)
    before = np(server)["nowPlaying"]
    server.kill9()
    again = deployment.serve(CADENZA_MUSIC_DIRS=str(music))
    # Audible again in the high tone: the scheduled item resumed where the clock says, not from its start.
    assert wait_for(lambda: (np(again).get("nowPlaying") or {}).get("song"), timeout=15)
    audio, _, _ = listen(again.url + "/listen/live/radio.mp3", 4, icy=False)
    assert 840 < dominant_hz(audio[-32000:], tmp_path) < 920
    after = np(again)
    assert after["show"]["title"] == "Tone Hour" and after["nowPlaying"]["source"] == "scheduled", after
    assert after["nowPlaying"]["song"]["title"] == "Show Tone" and abs(at(after["nowPlaying"]["playedAt"]) - at(before["playedAt"])) <= 1.5
    # One as-run entry for the one play.
    history = [e for e in requests.get(again.url + "/api/v1/stations/live/history", headers=h).json() if e["source"] == "scheduled"]
    assert len(history) == 1 and abs(at(history[0]["startedAt"]) - start.timestamp()) <= 0.1, history
    # Shortened while on air: the show now ends at its new end, where the rotation takes over.
    show_id = requests.get(base.replace(server.url, again.url) + "/shows").json()[0]["id"]
    assert requests.patch(again.url + f"/api/v1/stations/live/shows/{show_id}", headers=h, json={"durationMinutes": 1}).status_code == 200
    new_end = start.timestamp() + 60
    assert time.time() < new_end - 3, "the test ran too slowly to shorten the show before its new end"
    assert wait_for(lambda: time.time() >= new_end + 3, timeout=60, interval=0.5)
    history = sorted(requests.get(again.url + "/api/v1/stations/live/history", headers=h).json(), key=lambda e: e["startedAt"])
    after_show = [e for e in history if at(e["startedAt"]) >= new_end - 0.1]
    assert after_show and after_show[0]["source"] == "autodj" and abs(at(after_show[0]["startedAt"]) - new_end) <= 0.1, history
    assert requests.get(again.url + "/api/v1/stations/live/now-playing").json().get("show") is None


def test_the_rotation_airs_a_station_id_every_n_songs(deployment, tmp_path):
    from conftest import admin_token
    music = tmp_path / "music"
    music.mkdir()
    for i in range(4):
        tone(music / f"song{i}.flac", 3, 440, f"Song {i}")
    tone(music / "id.flac", 1, 1500, "Station ID")
    server = deployment.serve(CADENZA_MUSIC_DIRS=str(music))
    token = admin_token(deployment, server)
    h = auth(token)
    assert wait_for(lambda: len(requests.get(server.url + "/api/v1/tracks", headers=h).json()["items"]) == 5)
    ids = {t["title"]: t["id"] for t in requests.get(server.url + "/api/v1/tracks", headers=h).json()["items"]}
    # Short songs and no repeat gaps: a small library plays on without relaxing the rules.
    r = requests.post(server.url + "/api/v1/stations", headers=h, json={"slug": "ids", "name": "IDs", "trackGapMinutes": 0, "artistGapMinutes": 0})
    assert r.status_code == 201 and r.json()["trackGapMinutes"] == 0, r.text
    base = server.url + "/api/v1/stations/ids"
    jingles = requests.post(base + "/playlists", headers=h, json={"name": "IDs", "trackIds": [ids["Station ID"]]}).json()
    for bad in [{"jingleEvery": 101}, {"jinglePlaylistId": "999"}, {"trackGapMinutes": -1}, {"artistGapMinutes": 2000}]:
        assert requests.patch(base, headers=h, json=bad).status_code == 422, bad
    r = requests.patch(base, headers=h, json={"jinglePlaylistId": jingles["id"], "jingleEvery": 2})
    assert r.status_code == 200 and r.json()["jingleEvery"] == 2 and r.json()["jinglePlaylistId"] == jingles["id"], r.text
    since = time.time()
    # Within half a minute: the station ID after every two songs, never two songs more without one.
    def aired():
        history = sorted(requests.get(base + "/history", headers=h).json(), key=lambda e: e["startedAt"])
        return [e["title"] for e in history if at(e["startedAt"]) > since + 8]
    assert wait_for(lambda: aired().count("Station ID") >= 3, timeout=60, interval=1), aired()
    titles = aired()
    first = titles.index("Station ID")
    run = 0
    for title in titles[first + 1:]:
        run = 0 if title == "Station ID" else run + 1
        assert run <= 2, titles
    assert titles[first + 1:first + 4].count("Station ID") == 1, titles

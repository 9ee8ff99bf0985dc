"""Radio smart blocks and the rotation: rules over artist, genre, year and length with a live
preview, a block that becomes the autoDJ's rotation at once, a show airing a block, and the
hourly station ID."""
import subprocess
import time
from datetime import datetime, timedelta, timezone

import requests

from conftest import auth, wait_for

SONGS = [  # title, artist, genre, year, seconds, tone
    ("Alpha One", "Kaloven", "Jazz", 1995, 12, 440),
    ("Alpha Two", "Kaloven", "Jazz", 2005, 12, 470),
    ("Beta", "Milo", "Rock", 1999, 12, 500),
    ("Gamma", "Émile", "Rock", 2010, 12, 530),
    ("Delta", "Milo", "Pop", 2015, 12, 560),
    ("Station ID", "Night Radio", "Jingle", 2020, 3, 1000),
]
# Tempo as taggers write it (the rest have none).
BPM = {"Alpha One": "92", "Beta": "128", "Gamma": "127.6 BPM", "Delta": "0"}


def make_music(root):
    root.mkdir()
    for title, artist, genre, year, seconds, hz in SONGS:
        tempo = ["-metadata", f"BPM={BPM[title]}"] if title in BPM else []
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", "lavfi",
                        "-i", f"sine=frequency={hz}:duration={seconds}", "-metadata", f"title={title}", "-metadata", f"artist={artist}",
                        "-metadata", f"genre={genre}", "-metadata", f"date={year}", *tempo, str(root / f"{title}.flac")], check=True)


def rules(*groups, all_groups=True):
    return {"all": all_groups, "groups": [{"all": g[0], "rules": g[1]} for g in groups]}


def test_smart_blocks_preview_rotate_and_air_in_shows(deployment, tmp_path):
    from conftest import admin_token
    music = tmp_path / "music"
    make_music(music)
    server = deployment.serve(CADENZA_MUSIC_DIRS=str(music))
    token = admin_token(deployment, server)
    h = auth(token)
    assert wait_for(lambda: len(requests.get(server.url + "/api/v1/tracks", headers=h).json()["items"]) == len(SONGS))
    r = requests.post(server.url + "/api/v1/stations", headers=h, json={"slug": "blocks", "name": "Blocks", "timeZone": "UTC"})
    assert r.status_code == 201, r.text
    base = server.url + "/api/v1/stations/blocks"

    def preview(smart):
        r = requests.post(base + "/playlists/preview", headers=h, json={"smart": smart})
        assert r.status_code == 200, (r.text, open(server.log.name).read()[-1500:])
        return r.json()

    titles = lambda p: sorted(t["title"] for t in p["tracks"])
    # One rule, text by matching key (case folded on both databases).
    jazz = preview({"criteria": rules((True, [{"field": "genre", "op": "is", "value": "JAZZ"}]))})
    assert titles(jazz) == ["Alpha One", "Alpha Two"] and jazz["matching"] == {"tracks": 2, "durationMs": 24000}, jazz
    # Numbers: the nineties, as a JSON number or as text.
    nineties = preview({"criteria": rules((True, [{"field": "year", "op": "between", "value": 1990, "to": "1999"}]))})
    assert titles(nineties) == ["Alpha One", "Beta"]
    # Groups: rock AND (before 2000 OR by Émile, written in lower case).
    mixed = preview({"criteria": rules((True, [{"field": "genre", "op": "is", "value": "rock"}]),
                                       (False, [{"field": "year", "op": "lessThan", "value": 2000},
                                                {"field": "artist", "op": "is", "value": "émile"}]))})
    assert titles(mixed) == ["Beta", "Gamma"]
    # Tempo from the tags ("0" is no tempo): dance-floor speed, and what is slower.
    assert titles(preview({"criteria": rules((True, [{"field": "bpm", "op": "between", "value": 120, "to": 130}]))})) == ["Beta", "Gamma"]
    assert titles(preview({"criteria": rules((True, [{"field": "bpm", "op": "lessThan", "value": 120}]))})) == ["Alpha One"]
    tempos = {t["title"]: t.get("bpm") for t in requests.get(server.url + "/api/v1/tracks", headers=h).json()["items"]}
    assert tempos == {"Alpha One": 92, "Alpha Two": None, "Beta": 128, "Gamma": 128, "Delta": None, "Station ID": None}, tempos
    # Groups joined by OR at the top: pop, or before 1996.
    assert titles(preview({"criteria": rules((True, [{"field": "genre", "op": "is", "value": "pop"}]),
                                             (True, [{"field": "year", "op": "lessThan", "value": 1996}]), all_groups=False)})) == ["Alpha One", "Delta"]
    # Title prefixes, length in seconds, and when a track was added.
    assert titles(preview({"criteria": rules((True, [{"field": "title", "op": "startsWith", "value": "ALPHA"}]))})) == ["Alpha One", "Alpha Two"]
    assert titles(preview({"criteria": rules((True, [{"field": "duration", "op": "lessThan", "value": 5}]))})) == ["Station ID"]
    assert len(preview({"criteria": rules((True, [{"field": "added", "op": "inLastDays", "value": 1}]))})["tracks"]) == 6
    assert preview({"criteria": rules((True, [{"field": "added", "op": "notInLastDays", "value": 1}]))})["tracks"] == []
    # The owner's ratings and play counts: five stars for Beta, a play of Delta (a listen that
    # matches the local track counts as one).
    ids = {t["title"]: t["id"] for t in requests.get(server.url + "/api/v1/tracks", headers=h).json()["items"]}
    assert requests.put(server.url + f"/api/v1/ratings/track/{ids['Beta']}", headers=h, json={"rating": 5}).status_code == 204
    r = requests.post(server.url + "/1/submit-listens", headers={"Authorization": f"Token {token}"}, json={"listen_type": "single", "payload": [
        {"listened_at": int(time.time()) - 60, "track_metadata": {"artist_name": "Milo", "track_name": "Delta"}}]})
    assert r.status_code == 200, r.text
    assert titles(preview({"criteria": rules((True, [{"field": "rating", "op": "greaterThan", "value": 3}]))})) == ["Beta"]
    assert wait_for(lambda: titles(preview({"criteria": rules((True, [{"field": "playCount", "op": "greaterThan", "value": 0}]))})) == ["Delta"])
    # Negation and time limits: everything but the jingle, 30 s without overrun is two tracks; with it, three.
    songs = rules((True, [{"field": "genre", "op": "isNot", "value": "jingle"}]))
    assert len(preview({"criteria": songs, "limitMinutes": 1})["tracks"]) == 5
    assert preview({"criteria": songs})["matching"]["tracks"] == 5
    assert len(preview({"criteria": songs, "sort": "newest", "limitItems": 2})["tracks"]) == 2
    # Bad rules are refused with the reason.
    for bad in [{"criteria": rules((True, [{"field": "artist", "op": "lessThan", "value": "x"}]))},
                {"criteria": rules((True, [{"field": "year", "op": "is", "value": "1e400"}]))},
                {"criteria": rules((True, [{"field": "mood", "op": "is", "value": "x"}]))},
                {"criteria": rules((True, [])), "limitItems": 0}]:
        r = requests.post(base + "/playlists/preview", headers=h, json={"smart": bad})
        assert r.status_code in (400, 422), (bad, r.status_code, r.text)

    # A jazz block in the rotation: from the next song on, only jazz airs.
    r = requests.post(base + "/playlists", headers=h, json={
        "name": "Jazz rotation", "kind": "smart", "rotationWeight": 5,
        "smart": {"criteria": rules((True, [{"field": "genre", "op": "is", "value": "jazz"}]))}})
    assert r.status_code == 201, r.text
    block = r.json()
    assert block["kind"] == "smart" and block["rotationWeight"] == 5 and block["matching"]["tracks"] == 2, block
    np = lambda: requests.get(base + "/now-playing").json()
    assert wait_for(lambda: np().get("nowPlaying"), timeout=15)

    def skip_and_read():
        # The autoDJ refills its queue each second: skipping faster than that would empty it.
        time.sleep(1.2)
        before = np()["nowPlaying"]["playedAt"]
        requests.post(base + "/skip", headers=h)
        assert wait_for(lambda: np()["nowPlaying"]["playedAt"] != before, timeout=10, interval=0.1)
        return np()["nowPlaying"]["song"]["title"]
    skip_and_read()  # what the engine had already prepared
    aired = [skip_and_read() for _ in range(5)]
    assert set(aired) <= {"Alpha One", "Alpha Two"}, aired

    # A show airing a smart block of rock, least recently played first: Gamma airs now (a
    # manager's pick), so Beta (never aired, or aired before it) opens the show.
    ids = {t["title"]: t["id"] for t in requests.get(server.url + "/api/v1/tracks", headers=h).json()["items"]}
    assert requests.post(base + "/next", headers=h, json={"trackId": ids["Gamma"]}).status_code == 202
    assert wait_for(lambda: skip_and_read() == "Gamma", timeout=30, interval=0.1)
    r = requests.post(base + "/playlists", headers=h, json={
        "name": "Rock", "smart": {"criteria": rules((True, [{"field": "genre", "op": "is", "value": "rock"}])), "sort": "leastRecentlyPlayed"}})
    assert r.status_code == 201, r.text
    nineties_block = r.json()
    start = (datetime.now(timezone.utc) + timedelta(seconds=20)).replace(microsecond=0)
    r = requests.post(base + "/shows", headers=h, json={
        "title": "Rock Hour", "playlistId": nineties_block["id"], "startDate": start.strftime("%Y-%m-%d"),
        "startTime": start.strftime("%H:%M:%S"), "durationMinutes": 1})
    assert r.status_code == 201, r.text
    assert wait_for(lambda: (np().get("show") or {}).get("title") == "Rock Hour", timeout=40, interval=0.2)
    assert wait_for(lambda: np()["nowPlaying"]["source"] == "scheduled", timeout=5, interval=0.1)
    assert np()["nowPlaying"]["song"]["title"] == "Beta", np()

    # The rotation becomes every song (the jazz block leaves it), and the hourly ID comes at the next minute.
    r = requests.put(base + f"/playlists/{block['id']}", headers=h, json={"rotationWeight": 0})
    assert r.status_code == 200 and r.json()["rotationWeight"] == 0, r.text
    r = requests.post(base + "/playlists", headers=h, json={"name": "Songs", "rotationWeight": 1, "smart": {"criteria": songs}})
    assert r.status_code == 201, r.text
    switched = datetime.now(timezone.utc)
    r = requests.post(base + "/playlists", headers=h, json={"name": "IDs", "trackIds": [ids["Station ID"]]})
    jingles = r.json()
    # After the show, so no show holds the air when the minute comes.
    assert wait_for(lambda: not np().get("show"), timeout=70, interval=0.5)
    minute = (datetime.now(timezone.utc) + timedelta(minutes=1)).minute
    r = requests.patch(base, headers=h, json={"jinglePlaylistId": jingles["id"], "jingleMinute": minute})
    assert r.status_code == 200 and r.json()["jingleMinute"] == minute, r.text
    mark = datetime.now(timezone.utc).replace(second=0, microsecond=0) + timedelta(minutes=1)
    def id_aired():
        # (In the library's rotation the ID could air as a song: only what came after counts.)
        history = requests.get(base + "/history", headers=h).json()
        return [e for e in history if e["title"] == "Station ID"
                and datetime.fromisoformat(e["startedAt"].replace("Z", "+00:00")) >= switched]
    # Not before the minute: the ID waits for it.
    time.sleep(max(0, (mark - datetime.now(timezone.utc)).total_seconds() - 2))
    assert id_aired() == []
    assert wait_for(id_aired, timeout=100, interval=1)
    first = id_aired()[0]
    played = datetime.fromisoformat(first["startedAt"].replace("Z", "+00:00"))
    # At the first song change after the minute (songs are 12 s long).
    assert mark <= played <= mark + timedelta(seconds=14), (mark, played)
    # Once: the next song changes (12 s on) do not air it again.
    time.sleep(14)
    assert len(id_aired()) == 1
    r = requests.patch(base, headers=h, json={"jingleMinute": 60})
    assert r.status_code == 422

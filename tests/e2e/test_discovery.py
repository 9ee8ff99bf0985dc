"""Discovery as people meet it: recommendations with their reasons, instant mixes, similar artists
and top songs in Subsonic apps (py-sonic), playlists made for each listener, typo-tolerant search —
on a small instance whose listeners fall into two tastes (jazz and metal)."""
import datetime
import time
import zoneinfo

import libsonic
import pytest
import requests

from conftest import ADMIN_PASSWORD, admin_token, auth, token_for, wait_for
from media import make_audio

OPEN = {"CADENZA_LISTENS_RATE_LIMIT": 1000000, "CADENZA_LISTENS_RATE_WINDOW": 60}
JAZZ = ["Ella Vance", "Miles Corbin", "Nina Sol"]
METAL = ["Iron Vault", "Grave Orbit", "Black Salt"]
DAY = 86400


def title(artist, n):
    return f"{artist.split()[0]} Song {n}"


@pytest.fixture
def instance(deployment, tmp_path):
    root = tmp_path / "music"
    for genre, artists in (("Jazz", JAZZ), ("Metal", METAL)):
        for i, artist in enumerate(artists):
            for n in range(1, 4):
                make_audio(str(root / artist / f"{n:02}.mp3"), seconds=1, frequency=300 + 40 * i + 7 * n, title=title(artist, n),
                           artist=artist, album=f"{artist} Album", track=str(n), genre=genre)
    make_audio(str(root / "Drift" / "01.mp3"), seconds=1, title="Slow Tide", artist="Drift", album="Tides", genre="Ambient")
    make_audio(str(root / "Beyonce" / "01.mp3"), seconds=1, title="Crème Brûlée", artist="Beyoncé", album="Dessert", genre="Pop")
    secret = tmp_path / "secret"
    make_audio(str(secret / "01.mp3"), seconds=1, title="Secret Standard", artist="Hidden Quartet", album="Private", genre="Jazz")
    server = deployment.serve(CADENZA_MUSIC_DIRS=str(root), **OPEN)
    admin = admin_token(deployment, server)
    assert wait_for(lambda: requests.get(server.url + "/api/v1/tracks?limit=100", headers=auth(admin)).json()["items"].__len__() == 20)
    # A private library of the administrator's: its track must never reach anyone else.
    lib = requests.post(server.url + "/api/v1/libraries", headers=auth(admin), json={"name": "Mine", "kind": "folders", "visibility": "private"}).json()["id"]
    assert requests.post(f"{server.url}/api/v1/libraries/{lib}/folders", headers=auth(admin), json={"path": str(secret)}).status_code == 201
    assert wait_for(lambda: requests.get(server.url + "/api/v1/tracks?limit=100", headers=auth(admin)).json()["items"].__len__() == 21)
    tracks = {t["title"]: t for t in requests.get(server.url + "/api/v1/tracks?limit=100", headers=auth(admin)).json()["items"]}
    return server, admin, tracks


def add_user(server, admin, name):
    r = requests.post(server.url + "/api/v1/users", json={"username": name, "password": f"password-{name}"}, headers=auth(admin))
    assert r.status_code == 201, r.text
    return token_for(server, name, f"password-{name}")


def listen(server, token, plays, ts=None):
    """plays: [(artist, title, times)] submitted as an import, spread over the last days."""
    now = int(time.time()) if ts is None else ts
    payload, k = [], 0
    for artist, track, times in plays:
        for _ in range(times):
            k += 1
            payload.append({"listened_at": now - 600 * k, "track_metadata": {"artist_name": artist, "track_name": track}})
    r = requests.post(server.url + "/1/submit-listens", json={"listen_type": "import", "payload": payload},
                      headers={"Authorization": f"Token {token}"})
    assert r.status_code == 200, r.text


def build_model(server, admin):
    before = requests.get(server.url + "/api/v1/discovery/model", headers=auth(admin)).json()["model"]
    r = requests.post(server.url + "/api/v1/discovery/model", headers=auth(admin))
    assert r.status_code == 202, r.text

    def built():
        model = requests.get(server.url + "/api/v1/discovery/model", headers=auth(admin)).json()["model"]
        return model if model and (before is None or model["builtAt"] > before["builtAt"]) else None
    model = wait_for(built, timeout=60)
    assert model, "the model was not built"
    return model


def fans(server, admin):
    """Three jazz fans, two metal fans; the last jazz fan also plays one metal song once."""
    tokens = {}
    for name, artists in (("ann", JAZZ[:2]), ("ben", JAZZ), ("cyd", JAZZ[1:]), ("dan", METAL), ("eve", METAL[:2])):
        tokens[name] = add_user(server, admin, name)
        listen(server, tokens[name], [(a, title(a, n), 3 if n == 1 else 1) for a in artists for n in range(1, 4)])
    # The administrator plays jazz with the private library's track.
    listen(server, admin, [("Hidden Quartet", "Secret Standard", 4), (JAZZ[0], title(JAZZ[0], 1), 2), (JAZZ[0], title(JAZZ[0], 2), 2)])
    return tokens


def recommendations(server, token, **params):
    r = requests.get(server.url + "/api/v1/discovery/recommendations", headers=auth(token), params=params)
    assert r.status_code == 200, r.text
    return r.json()["items"]


def genre_of(item):
    return item["track"]["genre"]


def test_recommendations_follow_taste_say_why_and_respect_visibility(deployment, instance):
    server, admin, tracks = instance
    fans(server, admin)
    newbie = add_user(server, admin, "newbie")
    # Cold start: nothing played yet, so what most people here play.
    model = build_model(server, admin)
    assert model["listeners"] == 6 and model["tracks"] > 0 and model["artists"] > 0
    cold = recommendations(server, newbie, limit=5)
    assert cold and all(i["why"]["reason"] == "popular_here" for i in cold)
    assert all(i["why"]["text"] == "Popular on this server" for i in cold)

    # One jazz play: the next recommendations are jazz, because of that play.
    seed = title(JAZZ[0], 1)
    listen(server, newbie, [(JAZZ[0], seed, 1)])
    items = recommendations(server, newbie, limit=6)
    assert len(items) == 6
    assert all(genre_of(i) == "Jazz" for i in items), [(i["track"]["title"], genre_of(i)) for i in items]
    assert items[0]["why"]["reason"] == "because_you_played"
    assert items[0]["why"]["track"]["id"] == tracks[seed]["id"]
    assert items[0]["why"]["text"] == f"Because you played {seed} by {JAZZ[0]}"
    # What was played lately is not recommended again, unless asked.
    assert seed not in [i["track"]["title"] for i in recommendations(server, newbie, limit=50)]
    assert seed in [i["track"]["title"] for i in recommendations(server, newbie, limit=50, includeRecent="true")]
    # A long mix runs out of co-listened tracks and goes on by genre: for its owner that reaches the
    # private library's jazz track; for anyone else, never.
    def mix_of(token):
        r = requests.get(server.url + "/api/v1/discovery/mix", headers=auth(token), params={"track": tracks[seed]["id"], "limit": 100})
        assert r.status_code == 200, r.text
        return [t["title"] for t in r.json()["items"]]
    assert "Secret Standard" in mix_of(admin)
    assert "Secret Standard" not in mix_of(newbie)
    assert "Secret Standard" not in [i["track"]["title"] for i in recommendations(server, newbie, limit=100, includeRecent="true")]
    # Albums and artists, with the why of their best track.
    albums = requests.get(server.url + "/api/v1/discovery/recommendations/albums", headers=auth(newbie), params={"limit": 3}).json()["items"]
    assert albums
    assert {a["album"]["title"] for a in albums} <= {f"{a} Album" for a in JAZZ}
    artists = requests.get(server.url + "/api/v1/discovery/recommendations/artists", headers=auth(newbie), params={"limit": 3}).json()["items"]
    assert artists and {a["artist"]["name"] for a in artists} <= set(JAZZ) and all(a["why"]["text"] for a in artists)
    # Bad input gets 400, not a guess.
    for params in ({"limit": 0}, {"limit": 101}, {"includeRecent": "maybe"}, {"neverPlayed": "2"}):
        assert requests.get(server.url + "/api/v1/discovery/recommendations", headers=auth(newbie), params=params).status_code == 400
    assert requests.get(server.url + "/api/v1/discovery/recommendations").status_code == 401
    assert requests.post(server.url + "/api/v1/discovery/model", headers=auth(newbie)).status_code == 403


def test_private_and_opted_out_listens_never_shape_others(deployment, instance):
    server, admin, tracks = instance
    fans(server, admin)
    # Only zed plays the ambient track, always next to a metal song.
    zed = add_user(server, admin, "zed")
    assert requests.put(server.url + "/api/v1/me/listen-settings", headers=auth(zed), json={"visibility": "private"}).status_code == 200
    listen(server, zed, [("Drift", "Slow Tide", 5), (METAL[0], title(METAL[0], 1), 5), (METAL[2], title(METAL[2], 3), 10)])
    metal_seed = tracks[title(METAL[0], 1)]["id"]

    def first_black_song():
        # Equals in search are ranked by the plays of those who share them: dan's 3 of Song 1, or zed's 10 of Song 3.
        r = requests.get(server.url + "/api/v1/search", headers=auth(admin), params={"q": "black song"})
        assert r.status_code == 200, r.text
        return r.json()["tracks"][0]["title"]
    assert first_black_song() == title(METAL[2], 1)

    def mix_titles():
        r = requests.get(server.url + "/api/v1/discovery/mix", headers=auth(admin), params={"track": metal_seed, "limit": 50})
        assert r.status_code == 200, r.text
        return [t["title"] for t in r.json()["items"]]
    build_model(server, admin)
    assert "Slow Tide" not in mix_titles()
    # Listens readable by the instance may be used...
    r = requests.put(server.url + "/api/v1/me/listen-settings", headers=auth(zed), json={"visibility": "instance"})
    assert r.status_code == 200 and r.json()["useForRecommendations"] is True
    build_model(server, admin)
    assert "Slow Tide" in mix_titles()
    assert first_black_song() == title(METAL[2], 3)
    # ...unless their owner says no: the model is rebuilt without them at once, nobody has to ask.
    built = requests.get(server.url + "/api/v1/discovery/model", headers=auth(admin)).json()["model"]["builtAt"]
    r = requests.put(server.url + "/api/v1/me/listen-settings", headers=auth(zed), json={"useForRecommendations": False})
    assert r.status_code == 200 and r.json()["useForRecommendations"] is False and r.json()["visibility"] == "instance"
    assert requests.get(server.url + "/api/v1/me/listen-settings", headers=auth(zed)).json()["useForRecommendations"] is False
    assert wait_for(lambda: requests.get(server.url + "/api/v1/discovery/model", headers=auth(admin)).json()["model"]["builtAt"] > built, timeout=60)
    assert "Slow Tide" not in mix_titles()
    assert first_black_song() == title(METAL[2], 1)  # search stops counting their plays at once too
    # Going private does the same.
    assert requests.put(server.url + "/api/v1/me/listen-settings", headers=auth(zed), json={"useForRecommendations": True}).status_code == 200
    build_model(server, admin)
    assert "Slow Tide" in mix_titles()
    built = requests.get(server.url + "/api/v1/discovery/model", headers=auth(admin)).json()["model"]["builtAt"]
    assert requests.put(server.url + "/api/v1/me/listen-settings", headers=auth(zed), json={"visibility": "private"}).status_code == 200
    assert wait_for(lambda: requests.get(server.url + "/api/v1/discovery/model", headers=auth(admin)).json()["model"]["builtAt"] > built, timeout=60)
    assert "Slow Tide" not in mix_titles()
    assert first_black_song() == title(METAL[2], 1)
    # Their own recommendations still use their own listens.
    own = recommendations(server, zed, limit=5, includeRecent="true")
    assert own and any(i["why"]["reason"] != "popular_here" for i in own)


def test_instant_mix_and_similar_artists_over_rest(deployment, instance):
    server, admin, tracks = instance
    tokens = fans(server, admin)
    build_model(server, admin)
    ann = tokens["ann"]
    seed = tracks[title(JAZZ[0], 1)]
    r = requests.get(server.url + "/api/v1/discovery/mix", headers=auth(ann), params={"track": seed["id"], "limit": 8})
    assert r.status_code == 200, r.text
    mix = r.json()["items"]
    assert mix[0]["id"] == seed["id"] and len(mix) == 8 and len({t["id"] for t in mix}) == 8
    assert all(t["genre"] == "Jazz" for t in mix[:6]), [(t["title"], t["genre"]) for t in mix]
    # No artist twice in a row while another is waiting.
    assert all(a["artist"] != b["artist"] for a, b in zip(mix, mix[1:6]))
    artist = seed["artists"][0]["id"]
    album = seed["album"]["id"]
    for params in ({"artist": artist}, {"album": album}):
        items = requests.get(server.url + "/api/v1/discovery/mix", headers=auth(ann), params=params).json()["items"]
        assert items and items[0]["genre"] == "Jazz"
    for params in ({}, {"track": seed["id"], "album": album}, {"track": "x"}, {"track": seed["id"], "limit": 0}):
        assert requests.get(server.url + "/api/v1/discovery/mix", headers=auth(ann), params=params).status_code == 400, params
    assert requests.get(server.url + "/api/v1/discovery/mix", headers=auth(ann), params={"track": 999999}).status_code == 404
    similar = requests.get(server.url + f"/api/v1/discovery/artists/{artist}/similar", headers=auth(ann)).json()["items"]
    names = [a["name"] for a in similar]
    assert set(names[:2]) == set(JAZZ[1:]), names
    assert requests.get(server.url + "/api/v1/discovery/artists/999999/similar", headers=auth(ann)).status_code == 404


def test_subsonic_apps_get_similar_songs_artists_and_top_songs(deployment, instance):
    server, admin, tracks = instance
    fans(server, admin)
    build_model(server, admin)
    assert requests.put(server.url + "/api/v1/me/subsonic-password", json={"password": "sub-pass-1", "currentPassword": ADMIN_PASSWORD},
                        headers=auth(admin)).status_code == 200
    client = libsonic.Connection("http://127.0.0.1", "root", "sub-pass-1", port=server.port, appName="cadenza-tests")
    artists = {a["name"]: a for index in client.getArtists()["artists"]["index"] for a in index["artist"]}
    info = client.getArtistInfo2(artists[JAZZ[0]]["id"], count=5)["artistInfo2"]
    similar = [a["name"] for a in info["similarArtist"]]
    assert set(similar[:2]) == set(JAZZ[1:]), similar
    songs = client.getSimilarSongs2(artists[METAL[0]]["id"], count=5)["similarSongs2"]["song"]
    assert len(songs) == 5 and all(s["genre"] == "Metal" for s in songs), [(s["title"], s["genre"]) for s in songs]
    songs = client.getSimilarSongs(tracks[title(JAZZ[1], 2)]["id"], count=4)["similarSongs"]["song"]
    assert songs and all(s["genre"] == "Jazz" for s in songs) and title(JAZZ[1], 2) not in [s["title"] for s in songs]
    # Top songs: the track most people here play first.
    top = client.getTopSongs(JAZZ[1], count=3)["topSongs"]["song"]
    assert top[0]["title"] == title(JAZZ[1], 1) and len(top) == 3


def test_playlists_made_for_you_are_replaced_not_piled_up(deployment, instance):
    server, admin, tracks = instance
    tokens = fans(server, admin)
    ann = tokens["ann"]
    # A year ago today, and a favourite from half a year ago not played since.
    now = int(time.time())
    today = datetime.datetime.now(datetime.timezone.utc).date()
    try:
        year_ago = today.replace(year=today.year - 1)
    except ValueError:   # 29 February: the server counts it as 1 March of a common year
        year_ago = datetime.date(today.year - 1, 3, 1)
    noon = int(datetime.datetime(year_ago.year, year_ago.month, year_ago.day, 12, tzinfo=datetime.timezone.utc).timestamp())
    listen(server, ann, [(JAZZ[2], title(JAZZ[2], 3), 1)], ts=noon + 600)
    listen(server, ann, [(METAL[2], title(METAL[2], 2), 4)], ts=now - 200 * DAY)
    build_model(server, admin)

    def made():
        return {m["kind"]: m for m in requests.get(server.url + "/api/v1/discovery/playlists", headers=auth(ann)).json()["items"]}
    first_job = requests.post(server.url + "/api/v1/discovery/playlists/refresh", headers=auth(ann))
    assert first_job.status_code == 202
    found = wait_for(lambda: made() if len(made()) == 4 else None, timeout=30)
    assert found, made()
    assert found["daily-mix"]["playlist"]["name"] == "Daily Mix" and found["daily-mix"]["playlist"]["trackCount"] > 0
    explore = requests.get(server.url + f"/api/v1/playlists/{found['weekly-exploration']['playlist']['id']}", headers=auth(ann)).json()
    played = {title(a, n) for a in JAZZ[:2] for n in range(1, 4)} | {title(JAZZ[2], 3), title(METAL[2], 2)}
    assert explore["tracks"] and not played & {t["title"] for t in explore["tracks"]}
    on_this_day = requests.get(server.url + f"/api/v1/playlists/{found['on-this-day']['playlist']['id']}", headers=auth(ann)).json()
    assert [t["title"] for t in on_this_day["tracks"]] == [title(JAZZ[2], 3)]
    rediscover = requests.get(server.url + f"/api/v1/playlists/{found['rediscover']['playlist']['id']}", headers=auth(ann)).json()
    assert [t["title"] for t in rediscover["tracks"]] == [title(METAL[2], 2)]
    # Subsonic apps see them as the user's playlists.
    assert requests.put(server.url + "/api/v1/me/subsonic-password", json={"password": "sub-pass-2", "currentPassword": "password-ann"},
                        headers=auth(ann)).status_code == 200
    client = libsonic.Connection("http://127.0.0.1", "ann", "sub-pass-2", port=server.port, appName="cadenza-tests")
    names = sorted(p["name"] for p in client.getPlaylists()["playlists"]["playlist"])
    assert names == ["Daily Mix", "On This Day", "Rediscover", "Weekly Exploration"]
    # Made again: the same playlists, refilled.
    ids = {k: m["playlist"]["id"] for k, m in found.items()}
    stamp = found["daily-mix"]["updatedAt"]
    assert requests.post(server.url + "/api/v1/discovery/playlists/refresh", headers=auth(ann)).status_code == 202
    assert wait_for(lambda: made().get("daily-mix", {}).get("updatedAt", 0) > stamp, timeout=30)
    assert {k: m["playlist"]["id"] for k, m in made().items()} == ids
    assert sorted(p["name"] for p in client.getPlaylists()["playlists"]["playlist"]) == names
    # Someone else never sees them.
    assert requests.get(server.url + f"/api/v1/playlists/{ids['daily-mix']}", headers=auth(tokens["ben"])).status_code == 404


def test_the_hourly_sweep_makes_playlists_for_each_listeners_own_day(deployment, instance):
    """What the scheduler does every hour, asked for now with `cadenza jobs run`: two listeners a day
    apart (UTC+14 and UTC-11) each get playlists for their own local day and week; another sweep in
    the same day leaves them be; a playlist the listener deleted stays away until its next period;
    a kind with nothing to hold is not made."""
    server, admin, tracks = instance
    tokens = fans(server, admin)
    zones = {"ann": "Pacific/Kiritimati", "dan": "Pacific/Pago_Pago"}
    for name, zone in zones.items():
        r = requests.put(server.url + "/api/v1/me/listen-settings", headers=auth(tokens[name]), json={"timeZone": zone})
        assert r.status_code == 200, r.text
    build_model(server, admin)

    def made(name):
        r = requests.get(server.url + "/api/v1/discovery/playlists", headers=auth(tokens[name]))
        assert r.status_code == 200, r.text
        return {m["kind"]: m for m in r.json()["items"]}

    def sweep():
        """Runs one sweep and waits until it and the refreshes it queued are done."""
        r = deployment.run("jobs", "run", "discovery-made-for-you")
        assert r.returncode == 0, r.stdout + r.stderr
        job = r.stdout.split(" as job ")[1].split()[0]
        assert wait_for(lambda: requests.get(f"{server.url}/api/v1/jobs/{job}", headers=auth(admin)).json()["state"] == "succeeded",
                        timeout=60)

        def idle():
            return not any(requests.get(server.url + "/api/v1/jobs", headers=auth(admin),
                                        params={"kind": "discovery.user-playlists", "state": state}).json()
                           for state in ("queued", "running"))
        assert wait_for(idle, timeout=60)

    def local_days(zone):
        today = datetime.datetime.now(zoneinfo.ZoneInfo(zone)).date()
        day = (today - datetime.date(1970, 1, 1)).days
        return day, day - today.weekday()   # the day, and its week's Monday
    before = {name: local_days(zone) for name, zone in zones.items()}
    sweep()
    after = {name: local_days(zone) for name, zone in zones.items()}
    lists = {name: made(name) for name in zones}
    for name in zones:
        # Only the last days' plays: nothing from a year ago, nothing loved long ago and left.
        assert "daily-mix" in lists[name] and not {"on-this-day", "rediscover"} & set(lists[name]), (name, lists[name])
        assert lists[name]["daily-mix"]["period"] in {f"d{before[name][0]}", f"d{after[name][0]}"}
        if "weekly-exploration" in lists[name]:
            assert lists[name]["weekly-exploration"]["period"] in {f"w{before[name][1]}", f"w{after[name][1]}"}
    assert "weekly-exploration" in lists["ann"]   # Nina Sol, whom ann's fellow jazz fans play and she never did
    assert lists["ann"]["daily-mix"]["period"] != lists["dan"]["daily-mix"]["period"]   # 25 hours apart
    # The same day again: nothing is remade.
    sweep()
    assert {name: {k: m["updatedAt"] for k, m in made(name).items()} for name in zones} == \
        {name: {k: m["updatedAt"] for k, m in lists[name].items()} for name in zones}
    # Deleted by its listener: not back before its next day.
    daily = lists["ann"]["daily-mix"]["playlist"]["id"]
    assert requests.delete(f"{server.url}/api/v1/playlists/{daily}", headers=auth(tokens["ann"])).status_code == 204
    sweep()
    assert set(made("ann")) == {"weekly-exploration"}, made("ann")
    # What the listener asks for, though, is made at once.
    assert requests.post(server.url + "/api/v1/discovery/playlists/refresh", headers=auth(tokens["ann"])).status_code == 202
    assert wait_for(lambda: "daily-mix" in made("ann"), timeout=30)
    # An unknown task is refused with the names there are.
    r = deployment.run("jobs", "run", "no-such-task")
    assert r.returncode != 0 and "discovery-made-for-you" in r.stdout + r.stderr


def test_search_forgives_typos_accents_and_ranks_exact_first(deployment, instance):
    server, admin, tracks = instance
    assert requests.put(server.url + "/api/v1/me/subsonic-password", json={"password": "sub-pass-1", "currentPassword": ADMIN_PASSWORD},
                        headers=auth(admin)).status_code == 200
    client = libsonic.Connection("http://127.0.0.1", "root", "sub-pass-1", port=server.port, appName="cadenza-tests")

    def song_titles(query):
        return [s["title"] for s in client.search3(query, artistCount=5, albumCount=5, songCount=10)["searchResult3"].get("song", [])]

    def artist_names(query):
        return [a["name"] for a in client.search3(query, artistCount=5, albumCount=0, songCount=0)["searchResult3"].get("artist", [])]
    # Plays rank equals: "Ella Song 3", played twice, comes before its namesakes.
    listen(server, admin, [(JAZZ[0], title(JAZZ[0], 3), 2)])
    assert song_titles("ella song")[0] == "Ella Song 3"
    assert song_titles("creme brulee") == ["Crème Brûlée"]
    assert artist_names("beyonce") == ["Beyoncé"]
    assert artist_names("Mils Corbin") == ["Miles Corbin"]  # one edit
    assert artist_names("Mlies Crobin") == ["Miles Corbin"]  # two swaps
    assert "Slow Tide" in song_titles("slwo tide")
    # Exact before prefix before inside.
    assert song_titles("Ella Song 1")[0] == "Ella Song 1"
    assert artist_names("orbit") == ["Grave Orbit"]
    # Everything for an empty query (offline sync), as before.
    assert len(client.search3("", artistCount=0, albumCount=0, songCount=100)["searchResult3"]["song"]) == 21
    # The web app's search too, with playlists.
    r = requests.get(server.url + "/api/v1/search", headers=auth(admin), params={"q": "nnia sol"})
    assert [a["name"] for a in r.json()["artists"]] == ["Nina Sol"]


def test_one_recording_on_two_albums_is_offered_once_and_not_after_it_was_played(deployment, tmp_path):
    """MusicBrainz ids as a content signal: an album's song and its copy on a compilation are one
    recording, so recommendations offer it once, and never once either copy was played."""
    root, recording = tmp_path / "music", "5b11f4ce-a62d-471e-81fc-a69a8278c7da"
    make_audio(str(root / "Ella" / "01.flac"), seconds=1, frequency=310, title="Blue Hour", artist="Ella Vance", album="Night Songs",
               track="1", genre="Jazz", MUSICBRAINZ_TRACKID=recording)
    make_audio(str(root / "Ella" / "02.flac"), seconds=1, frequency=320, title="Late Train", artist="Ella Vance", album="Night Songs",
               track="2", genre="Jazz")
    make_audio(str(root / "Greats" / "01.flac"), seconds=1, frequency=330, title="Blue Hour", artist="Ella Vance", album="Jazz Greats",
               album_artist="Various Artists", track="1", genre="Jazz", MUSICBRAINZ_TRACKID=recording)
    for n in range(1, 4):
        make_audio(str(root / "Miles" / f"0{n}.flac"), seconds=1, frequency=400 + 10 * n, title=title("Miles Corbin", n),
                   artist="Miles Corbin", album="Corbin Album", track=str(n), genre="Jazz")
    server = deployment.serve(CADENZA_MUSIC_DIRS=str(root), **OPEN)
    admin = admin_token(deployment, server)
    assert wait_for(lambda: len(requests.get(server.url + "/api/v1/tracks?limit=100", headers=auth(admin)).json()["items"]) == 6)

    def play(token, plays):
        payload = [{"listened_at": int(time.time()) - 600 * (k + 1),
                    "track_metadata": {"artist_name": artist, "track_name": track, "release_name": album}}
                   for k, (artist, track, album) in enumerate(plays)]
        r = requests.post(server.url + "/1/submit-listens", json={"listen_type": "import", "payload": payload},
                          headers={"Authorization": f"Token {token}"})
        assert r.status_code == 200, r.text

    corbin = [("Miles Corbin", title("Miles Corbin", n), "Corbin Album") for n in range(1, 4)]
    play(add_user(server, admin, "ann"), [("Ella Vance", "Blue Hour", "Night Songs")] * 3 + [("Ella Vance", "Late Train", "Night Songs")] + corbin)
    play(add_user(server, admin, "ben"), [("Ella Vance", "Blue Hour", "Jazz Greats")] * 3 + corbin)
    newbie = add_user(server, admin, "newbie")
    play(newbie, [corbin[0], ("Ella Vance", "Late Train", "Night Songs")])
    build_model(server, admin)

    def offered():
        return [(i["track"]["title"], i["track"]["album"]["name"]) for i in recommendations(server, newbie, limit=20)]
    before = offered()
    assert [t for t, _ in before].count("Blue Hour") == 1, before
    play(newbie, [("Ella Vance", "Blue Hour", "Night Songs")])
    after = offered()
    assert after and "Blue Hour" not in [t for t, _ in after], after   # not the compilation's copy either


def test_a_party_room_whose_queue_runs_dry_continues_from_what_played_last(deployment, instance):
    """Jukebox autoplay follows co-listening: after the one ambient track (whose listeners here play
    metal), the room picks what continues from it, not a random song, every time."""
    server, admin, tracks = instance
    tokens = fans(server, admin)
    for name in ("dan", "eve"):
        listen(server, tokens[name], [("Drift", "Slow Tide", 3)])
    build_model(server, admin)
    seed = tracks["Slow Tide"]["id"]
    mix = requests.get(server.url + "/api/v1/discovery/mix", headers=auth(admin), params={"track": seed, "limit": 40}).json()["items"]
    continues = {t["id"] for t in mix[1:] if t["genre"] == "Metal"}
    assert len(continues) >= 4, [(t["title"], t["genre"]) for t in mix]

    h = auth(admin)
    assert requests.post(server.url + "/api/v1/rooms", headers=h, json={"slug": "party", "name": "Party"}).status_code == 201
    base = server.url + "/api/v1/rooms/party"
    assert requests.post(base + "/suggestions", headers=h, json={"trackId": seed}).status_code == 201
    first = requests.get(base + "/player/next", headers=h).json()
    assert first["track"]["id"] == seed
    for event in ("started", "ended"):
        assert requests.post(base + f"/player/{event}", headers=h, json={"entryId": first["entryId"]}).status_code == 200
    # Four picks in a row (each taken off the queue again, so the next is another): all continue
    # from Slow Tide. A random pick would be metal about half the time.
    for _ in range(4):
        picked = requests.get(base + "/player/next", headers=h)
        assert picked.status_code == 200, picked.text
        assert picked.json()["track"]["id"] in continues, picked.json()["track"]["title"]
        assert requests.delete(base + f"/entries/{picked.json()['entryId']}", headers=h).status_code in (200, 204)

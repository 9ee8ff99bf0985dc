"""The library over real HTTP: scanning, streaming with Range, transcoding, artwork, uploads."""
import os
import subprocess
import time

import pytest
import requests

from conftest import ADMIN_PASSWORD, admin_token, auth, token_for, wait_for
from media import duration, make_audio, make_jpeg


def track(server, token, title):
    items = requests.get(server.url + "/api/v1/tracks?limit=500", headers=auth(token)).json()["items"]
    return next(t for t in items if t["title"] == title)


def test_catalog_browse_search_and_filters(server_with_music):
    server, token = server_with_music
    albums = requests.get(server.url + "/api/v1/albums?sort=name", headers=auth(token)).json()["items"]
    assert [a["title"] for a in albums] == ["Glass Echo", "Orbit"]
    glass = albums[0]
    assert glass["trackCount"] == 2 and glass["year"] == 2004 and glass["artworkId"]
    detail = requests.get(f"{server.url}/api/v1/albums/{glass['id']}", headers=auth(token)).json()
    assert [t["title"] for t in detail["tracks"]] == ["Night River", "Paper Static"]
    jazz = requests.get(server.url + "/api/v1/albums?genre=jazz", headers=auth(token)).json()["items"]
    assert [a["title"] for a in jazz] == ["Orbit"]
    found = requests.get(server.url + "/api/v1/search?q=lant", headers=auth(token)).json()
    assert [t["title"] for t in found["tracks"]] == ["Lantern"]
    assert requests.get(server.url + "/api/v1/albums?sort=sideways", headers=auth(token)).status_code == 400
    assert requests.get(server.url + "/api/v1/albums/999999", headers=auth(token)).status_code == 404


def test_range_requests(server_with_music):
    server, token = server_with_music
    file_id = track(server, token, "Night River")["files"][0]["id"]
    url = f"{server.url}/api/v1/files/{file_id}/audio"
    whole = requests.get(url, headers=auth(token))
    assert whole.status_code == 200 and whole.headers["Content-Type"] == "audio/mpeg"
    assert whole.headers["Accept-Ranges"] == "bytes" and whole.headers.get("ETag")
    size = len(whole.content)
    first = requests.get(url, headers=auth(token) | {"Range": "bytes=0-9"})
    assert first.status_code == 206 and first.content == whole.content[:10]
    assert first.headers["Content-Range"] == f"bytes 0-9/{size}"
    middle = requests.get(url, headers=auth(token) | {"Range": "bytes=1000-1999"})
    assert middle.status_code == 206 and middle.content == whole.content[1000:2000]
    suffix = requests.get(url, headers=auth(token) | {"Range": "bytes=-100"})
    assert suffix.status_code == 206 and suffix.content == whole.content[-100:]
    # A player seeking around: many ranges in a row, all exact.
    for start in (5000, 100, size - 50, 0):
        r = requests.get(url, headers=auth(token) | {"Range": f"bytes={start}-"})
        assert r.status_code == 206 and r.content == whole.content[start:]
    bad = requests.get(url, headers=auth(token) | {"Range": f"bytes={size + 10}-"})
    assert bad.status_code == 416
    assert bad.headers["Content-Range"] == f"bytes */{size}"
    assert bad.json()["error"]["code"] == "range_not_satisfiable"
    assert requests.head(url, headers=auth(token)).status_code == 200


def test_transcoding_with_offset_and_cache(server_with_music):
    server, token = server_with_music
    flac = track(server, token, "Lantern")["files"][0]
    url = f"{server.url}/api/v1/files/{flac['id']}/audio"
    live = requests.get(url + "?format=mp3&maxBitRate=96", headers=auth(token))
    assert live.status_code == 200 and live.headers["Content-Type"] == "audio/mpeg"
    assert abs(duration(live.content) - 3.0) < 0.3
    offset = requests.get(url + "?format=mp3&maxBitRate=96&timeOffset=2", headers=auth(token))
    assert abs(duration(offset.content) - 1.0) < 0.3
    # The second whole play is served from the cache, as a file with Range.
    cached = requests.get(url + "?format=mp3&maxBitRate=96", headers=auth(token) | {"Range": "bytes=0-99"})
    assert cached.status_code == 206 and len(cached.content) == 100
    assert cached.content == live.content[:100]
    assert requests.get(url + "?format=wav", headers=auth(token)).status_code == 400
    assert requests.get(url + "?timeOffset=-3", headers=auth(token)).status_code == 400


def test_a_client_that_disconnects_stops_ffmpeg(server_with_music, music):
    server, token = server_with_music
    long = make_audio(str(music / "Long/long.flac"), seconds=240, title="Long One", artist="Slow", album="Long")
    requests.post(server.url + "/api/v1/libraries/1/scan", headers=auth(token), json={})
    assert wait_for(lambda: any(t["title"] == "Long One" for t in
                                requests.get(server.url + "/api/v1/tracks?limit=500", headers=auth(token)).json()["items"]))
    file_id = track(server, token, "Long One")["files"][0]["id"]
    r = requests.get(f"{server.url}/api/v1/files/{file_id}/audio?format=opus&maxBitRate=32", headers=auth(token), stream=True)
    next(r.iter_content(1024))
    pid = server.proc.pid
    children = lambda: subprocess.run(["pgrep", "-P", str(pid), "ffmpeg"], capture_output=True, text=True).stdout.split()
    assert children()
    r.close()
    assert wait_for(lambda: not children(), timeout=15)


def test_artwork_is_resized_and_cacheable(server_with_music):
    server, token = server_with_music
    albums = requests.get(server.url + "/api/v1/albums?sort=name", headers=auth(token)).json()["items"]
    art = albums[0]["artworkId"]
    r = requests.get(f"{server.url}/api/v1/artwork/{art}?size=64", headers=auth(token))
    assert r.status_code == 200 and r.headers["Content-Type"] == "image/jpeg" and r.content[:2] == b"\xff\xd8"
    assert "max-age=31536000" in r.headers["Cache-Control"]
    again = requests.get(f"{server.url}/api/v1/artwork/{art}?size=64", headers=auth(token) | {"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304
    original = requests.get(f"{server.url}/api/v1/artwork/{art}", headers=auth(token))
    assert len(original.content) > len(r.content)


def test_upload_happy_path_and_every_rejection(deployment, tmp_path):
    server = deployment.serve(CADENZA_MAX_UPLOAD_BYTES=2_000_000)
    admin = admin_token(deployment, server)
    requests.post(server.url + "/api/v1/users", json={"username": "uma", "password": "password-u"}, headers=auth(admin))
    requests.post(server.url + "/api/v1/users", json={"username": "vic", "password": "password-v"}, headers=auth(admin))
    uma, vic = token_for(server, "uma", "password-u"), token_for(server, "vic", "password-v")
    song = make_audio(str(tmp_path / "up/song.ogg"), seconds=2, title="Uploaded Song", artist="Uma", album="Home Tapes")
    with open(song, "rb") as f:
        data = f.read()
    files = [("files", ("song.mp3", data, "audio/mpeg")),   # the name lies; the content decides
             ("files", ("notes.mp3", b"just some text, not audio", "audio/mpeg")),
             ("files", ("empty.flac", b"", "audio/flac"))]
    r = requests.post(server.url + "/api/v1/uploads", headers=auth(uma), files=files)
    assert r.status_code == 201, r.text
    results = {f["name"]: f for f in r.json()["files"]}
    assert results["song.mp3"]["status"] == "pending"
    assert results["notes.mp3"]["status"] == "rejected" and "not an audio file" in results["notes.mp3"]["reason"]
    assert results["empty.flac"]["status"] == "rejected"
    library = r.json()["libraryId"]
    assert wait_for(lambda: requests.get(server.url + "/api/v1/uploads", headers=auth(uma)).json()["items"][0]["status"] == "imported")
    up = requests.get(server.url + "/api/v1/uploads", headers=auth(uma)).json()["items"][0]
    assert up["format"] == "ogg" and up["path"].endswith(".ogg") and "song" not in up["path"]

    dup = requests.post(server.url + "/api/v1/uploads", headers=auth(uma), files=[("f", ("again.ogg", data, "audio/ogg"))])
    assert dup.json()["files"][0]["status"] == "duplicate"
    big = requests.post(server.url + "/api/v1/uploads", headers=auth(uma), files=[("f", ("big.mp3", b"\0" * 3_000_000, "audio/mpeg"))])
    assert big.status_code == 413 and big.json()["error"]["code"] == "payload_too_large"
    plain = requests.post(server.url + "/api/v1/uploads", headers=auth(uma) | {"Content-Type": "application/json"}, data=b"{}")
    assert plain.status_code == 415
    nothing = requests.post(server.url + "/api/v1/uploads", headers=auth(uma), files=[("field", (None, "value"))])
    assert nothing.status_code == 400
    foreign = requests.post(f"{server.url}/api/v1/uploads?library={library}", headers=auth(vic), files=[("f", ("x.ogg", data, "audio/ogg"))])
    assert foreign.status_code == 404

    # Private uploads are invisible to other users: not listed, not streamable.
    mine = requests.get(server.url + "/api/v1/tracks", headers=auth(uma)).json()["items"]
    assert [t["title"] for t in mine] == ["Uploaded Song"]
    assert requests.get(server.url + "/api/v1/tracks", headers=auth(vic)).json()["items"] == []
    stream = f"{server.url}/api/v1/files/{mine[0]['files'][0]['id']}/audio"
    assert requests.get(stream, headers=auth(uma)).status_code == 200
    assert requests.get(stream, headers=auth(vic)).status_code == 404
    assert requests.get(f"{server.url}/api/v1/tracks/{mine[0]['id']}", headers=auth(vic)).status_code == 404
    # Nothing was left behind in the incoming area.
    incoming = os.path.join(deployment.data_dir, "uploads", ".incoming")
    assert os.listdir(incoming) == []


def test_first_uploads_at_once_share_one_upload_library(deployment, tmp_path):
    from concurrent.futures import ThreadPoolExecutor
    server = deployment.serve()
    admin = admin_token(deployment, server)
    requests.post(server.url + "/api/v1/users", json={"username": "wes", "password": "password-w"}, headers=auth(admin))
    wes = token_for(server, "wes", "password-w")
    songs = []
    for i in range(6):
        with open(make_audio(str(tmp_path / f"par/{i}.ogg"), seconds=1, title=f"Parallel {i}", artist="Wes", album="At Once"), "rb") as f:
            songs.append(f.read())

    def upload(i):
        return requests.post(server.url + "/api/v1/uploads", headers=auth(wes), files=[("f", (f"{i}.ogg", songs[i], "audio/ogg"))])

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(upload, range(6)))
    assert [r.status_code for r in answers] == [201] * 6, [r.text for r in answers]
    assert len({r.json()["libraryId"] for r in answers}) == 1
    mine = [l for l in requests.get(server.url + "/api/v1/libraries", headers=auth(wes)).json() if l.get("kind") == "uploads"]
    assert len(mine) == 1, mine
    assert wait_for(lambda: all(u["status"] == "imported" for u in requests.get(server.url + "/api/v1/uploads", headers=auth(wes)).json()["items"]))


def test_scan_progress_and_results_arrive_as_events(deployment, music):
    from conftest import SSEClient
    server = deployment.serve()
    token = admin_token(deployment, server)
    stream = SSEClient(server.url, token)
    r = requests.post(server.url + "/api/v1/libraries", headers=auth(token), json={"name": "Shelf", "kind": "folders", "visibility": "instance"})
    assert r.status_code == 201
    lib = r.json()["id"]
    assert requests.post(f"{server.url}/api/v1/libraries/{lib}/folders", headers=auth(token), json={"path": "relative/path"}).status_code == 422
    assert requests.post(f"{server.url}/api/v1/libraries/{lib}/folders", headers=auth(token), json={"path": str(music)}).status_code == 201
    events = []
    while not any(e[2] == "library.scan.finished" for e in events):
        more = stream.take(1, timeout=30)
        assert more, [e[2] for e in events]
        events += more
    types = [e[2] for e in events if e[2].startswith("library.")]
    assert types[0] == "library.scan.started" and types[-1] == "library.scan.finished"
    # The albums the scan made are announced to whoever may see the library.
    assert {e[3]["payload"]["title"] for e in events if e[2] == "album.added"}
    finished = next(e[3]["payload"] for e in events if e[2] == "library.scan.finished")
    assert finished["added"] == 3 and finished["failed"] == 0
    stream.close()


def test_stars_ratings_and_playlists_in_search_over_the_rest_api(server_with_music, deployment):
    server, token = server_with_music
    api = server.url + "/api/v1"
    artist = next(a for a in requests.get(api + "/artists", headers=auth(token)).json()["items"] if a["name"] == "Kaloven")
    album = next(a for a in requests.get(api + "/albums", headers=auth(token)).json()["items"] if a["title"] == "Glass Echo")
    track = next(t for t in requests.get(api + "/tracks", headers=auth(token)).json()["items"] if t["title"] == "Lantern")

    assert requests.put(api + f"/stars/artist/{artist['id']}", headers=auth(token)).status_code == 204
    starred = requests.get(api + "/stars", headers=auth(token)).json()
    assert [a["name"] for a in starred["artists"]] == ["Kaloven"] and starred["albums"] == [] and starred["tracks"] == []
    assert requests.delete(api + f"/stars/artist/{artist['id']}", headers=auth(token)).status_code == 204
    assert requests.get(api + "/stars", headers=auth(token)).json()["artists"] == []

    assert requests.put(api + "/me/subsonic-password", json={"password": "sub-pass-1", "currentPassword": ADMIN_PASSWORD}, headers=auth(token)).status_code == 200
    sub = lambda method, **params: requests.get(server.url + f"/rest/{method}", params={
        "u": "root", "p": "sub-pass-1", "f": "json", "v": "1.16.1", "c": "t", **params}).json()["subsonic-response"]
    assert "userRating" not in sub("getAlbum", id=album["id"])["album"]   # Subsonic has now cached this user's annotations

    for kind, item, rating in (("album", album, 4), ("track", track, 5), ("artist", artist, 2)):
        r = requests.put(api + f"/ratings/{kind}/{item['id']}", json={"rating": rating}, headers=auth(token))
        assert r.status_code == 204, r.text
    ratings = requests.get(api + "/ratings", headers=auth(token)).json()
    assert ratings == {"albums": {album["id"]: 4}, "tracks": {track["id"]: 5}, "artists": {artist["id"]: 2}}
    assert requests.put(api + f"/ratings/track/{track['id']}", json={"rating": 0}, headers=auth(token)).status_code == 204
    assert requests.get(api + "/ratings", headers=auth(token)).json()["tracks"] == {}
    for path, body, status in ((f"/ratings/track/{track['id']}", {"rating": 6}, 422), (f"/ratings/track/{track['id']}", {"rating": "x"}, 400),
                               ("/ratings/track/999999", {"rating": 3}, 404), (f"/ratings/song/{track['id']}", {"rating": 3}, 404)):
        r = requests.put(api + path, json=body, headers=auth(token))
        assert r.status_code == status and "error" in r.json(), (path, r.status_code, r.text)

    # The same ratings are what Subsonic apps read.
    # The same ratings, stars and plays are what Subsonic apps read, at once after each change.
    assert sub("getAlbum", id=album["id"])["album"]["userRating"] == 4
    assert requests.put(api + f"/ratings/album/{album['id']}", json={"rating": 2}, headers=auth(token)).status_code == 204
    assert sub("getAlbum", id=album["id"])["album"]["userRating"] == 2
    assert requests.put(api + f"/stars/album/{album['id']}", headers=auth(token)).status_code == 204
    assert "starred" in next(a for a in sub("getAlbumList2", type="alphabeticalByName")["albumList2"]["album"] if a["id"] == "al-" + album["id"])
    song = sub("getAlbum", id=album["id"])["album"]["song"][0]
    assert song["playCount"] == 0
    assert sub("scrobble", id=song["id"], submission="true")["status"] == "ok"
    assert wait_for(lambda: sub("getAlbum", id=album["id"])["album"]["song"][0]["playCount"] == 1)
    assert sub("getAlbum", id=album["id"])["album"]["playCount"] == 1

    # Search finds the playlists the caller may see, and only those.
    mine = requests.post(api + "/playlists", json={"name": "Road Trip Mix", "isPublic": True}, headers=auth(token)).json()
    requests.post(api + "/playlists", json={"name": "Road Secrets"}, headers=auth(token))
    assert [p["name"] for p in requests.get(api + "/search", params={"q": "road"}, headers=auth(token)).json()["playlists"]] == \
        ["Road Secrets", "Road Trip Mix"]
    deployment.run("user", "create", "guest", stdin="password-guest\n")
    guest = token_for(server, "guest", "password-guest")
    found = requests.get(api + "/search", params={"q": "road"}, headers=auth(guest)).json()["playlists"]
    assert [(p["id"], p["mine"], p["trackCount"]) for p in found] == [(mine["id"], False, 0)]
    assert requests.get(api + "/search", params={"q": "50%_"}, headers=auth(token)).json()["playlists"] == []

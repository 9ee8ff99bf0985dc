"""Hostile input from an ordinary signed-in user: crafted files (made here, not committed),
integer extremes, non-finite numbers and archives that lie about their size. Every request gets
an answer in its protocol's error format and the server stays up."""
import io
import os
import sqlite3
import struct
import subprocess
import tempfile
import time
import zipfile

import pytest
import requests

from conftest import PG_URL, Deployment, admin_token, auth, token_for, wait_for
from media import duration, make_audio

PASSWORD = "eve-subsonic-1"
INT64_MAX = "9223372036854775807"
EXTREMES = [INT64_MAX, "-9223372036854775808", "9223372036854775808", "18446744073709551616", "9" * 40, "-1", "1e999", "0x10"]


@pytest.fixture(scope="module")
def hostile():
    """One server for the module and an ordinary user, Eve, with a Subsonic password."""
    with tempfile.TemporaryDirectory(prefix="cadenza-hostile-") as tmp:
        d = Deployment(tmp)
        try:
            server = d.serve(CADENZA_IMPORT_MAX_UNPACKED_MB=8)
            admin = admin_token(d, server)
            r = requests.post(server.url + "/api/v1/users", json={"username": "eve", "password": "password-eve"}, headers=auth(admin))
            assert r.status_code == 201, r.text
            eve = token_for(server, "eve", "password-eve")
            r = requests.put(server.url + "/api/v1/me/subsonic-password", json={"password": PASSWORD, "currentPassword": "password-eve"}, headers=auth(eve))
            assert r.status_code == 200, r.text
            yield d, server, eve, tmp
        finally:
            d.close()


def rest(server, method, **params):
    query = {"v": "1.16.1", "c": "hostile", "f": "json", "u": "eve", "p": PASSWORD} | params
    r = requests.get(f"{server.url}/rest/{method}", params=query, timeout=30)
    assert r.status_code == 200, (method, params, r.status_code, r.text[:200])
    return r.json()["subsonic-response"]


def alive(server):
    return requests.get(server.url + "/healthz", timeout=5).status_code == 200


def upload(server, token, name, data):
    r = requests.post(server.url + "/api/v1/uploads", headers=auth(token), files=[("f", (name, data))])
    assert r.status_code == 201, r.text
    assert r.json()["files"][0]["status"] == "pending", r.json()
    assert wait_for(lambda: all(u["status"] != "pending" for u in requests.get(server.url + "/api/v1/uploads", headers=auth(token)).json()["items"]))


def forged_duration_mp3(path):
    """A real MP3 whose Xing/Info header claims a million frames: about 7 hours of audio in 50 kB."""
    make_audio(path, seconds=2, title="Forever", artist="Forger", album="Claims")
    data = bytearray(open(path, "rb").read())
    at = max(data.find(b"Xing"), data.find(b"Info"))
    assert at > 0, "ffmpeg wrote no Xing/Info header"
    (flags,) = struct.unpack(">I", data[at + 4:at + 8])
    assert flags & 1, "the header carries no frame count"
    data[at + 8:at + 12] = struct.pack(">I", 1_000_000)
    open(path, "wb").write(bytes(data))
    return bytes(data)


def test_integer_extremes_in_subsonic_parameters_answer_with_error_0(hostile):
    d, server, eve, tmp = hostile
    numeric = [
        ("getAlbumList2", {"type": "newest"}, ["size", "offset", "musicFolderId"]),
        ("getAlbumList2", {"type": "byYear"}, ["fromYear", "toYear"]),
        ("getRandomSongs", {}, ["size", "fromYear", "toYear", "musicFolderId"]),
        ("search3", {"query": "x"}, ["songCount", "songOffset", "albumOffset", "artistOffset", "musicFolderId"]),
        ("getSongsByGenre", {"genre": "Rock"}, ["count", "offset", "musicFolderId"]),
        ("savePlayQueue", {"id": "tr-1"}, ["position"]),
        ("savePlayQueueByIndex", {"id": "tr-1"}, ["currentIndex", "position"]),
        ("createShare", {"id": "tr-1"}, ["expires"]),
        ("reportPlayback", {"mediaId": "tr-1", "state": "playing"}, ["positionMs"]),
        ("getCoverArt", {"id": "al-1"}, ["size"]),
        ("stream", {"id": "tr-1"}, ["maxBitRate", "timeOffset"]),
        ("setRating", {"id": "tr-1"}, ["rating"]),
    ]
    for method, base, keys in numeric:
        for key in keys:
            for value in EXTREMES:
                reply = rest(server, method, **(base | {key: value}))
                # Page sizes past the maximum may be served as a full page; everything else is error 0.
                clamped = key in ("songCount", "artistCount", "albumCount") and not value.startswith("-") and value.isdigit()
                if not clamped or reply["status"] != "ok":
                    assert reply["status"] == "failed", (method, key, value, reply)
                    assert reply["error"]["code"] in (0, 70), (method, key, value, reply)
    assert alive(server)


def test_share_expiry_is_bounded_when_sent_and_when_read(hostile):
    d, server, eve, tmp = hostile
    song = make_audio(os.path.join(tmp, "share/s.ogg"), seconds=1, title="Shared", artist="Eve", album="Eve's")
    upload(server, eve, "s.ogg", open(song, "rb").read())
    track = next(t["id"] for t in requests.get(server.url + "/api/v1/tracks", headers=auth(eve)).json()["items"] if t["title"] == "Shared")
    refused = rest(server, "createShare", id=f"tr-{track}", expires=INT64_MAX)
    assert refused["status"] == "failed" and refused["error"]["code"] == 0
    latest = rest(server, "createShare", id=f"tr-{track}", expires="253402300799999")
    assert latest["status"] == "ok", latest
    share_id = latest["shares"]["share"][0]["id"]
    assert latest["shares"]["share"][0]["expires"].startswith("9999-12-31T23:59:59")
    # Rows stored before input was bounded: reading them must not trap either, then or after a restart.
    for stored, year in ((INT64_MAX, "9999"), ("-9223372036854775808", "0001")):
        if PG_URL:
            subprocess.run(["psql", d.database_url, "-q", "-c", f"UPDATE shares SET expires_at = {stored} WHERE id = {share_id}"], check=True)
        else:
            with sqlite3.connect(os.path.join(d.data_dir, "cadenza.sqlite")) as db:
                db.execute("UPDATE shares SET expires_at = ? WHERE id = ?", (int(stored), int(share_id)))
        shares = rest(server, "getShares")
        assert shares["status"] == "ok"
        assert [s["expires"][:4] for s in shares["shares"]["share"] if s["id"] == share_id] == [year]
        assert alive(server)


def test_crafted_tags_lyrics_and_durations_do_not_crash(hostile):
    d, server, eve, tmp = hostile
    lyrics = "\n".join([
        "[ar:Forger]", "[99999999999999999999:00.00]minutes past any integer", "[00:1e999]infinite seconds",
        "[-5:00.00]negative", "[00:nan]not a number", "[00:-0.5]before zero", "[00:02.50]the one real line",
        "[12:99.00]seconds out of range", "[" + "9" * 400 + "]long",
    ])
    flac = make_audio(os.path.join(tmp, "craft/gain.flac"), seconds=2, title="Hostile Gain", artist="Forger", album="Claims",
                      LYRICS=lyrics, REPLAYGAIN_TRACK_GAIN="inf dB", REPLAYGAIN_TRACK_PEAK="nan",
                      REPLAYGAIN_ALBUM_GAIN="-1e999 dB", REPLAYGAIN_ALBUM_PEAK="1e400")
    upload(server, eve, "gain.flac", open(flac, "rb").read())
    mp3 = forged_duration_mp3(os.path.join(tmp, "craft/forever.mp3"))
    assert duration(mp3) > 10_000, "the forged header should fool an ordinary reader"
    upload(server, eve, "forever.mp3", mp3)

    tracks = {t["title"]: t for t in requests.get(server.url + "/api/v1/tracks", headers=auth(eve)).json()["items"]}
    assert {"Hostile Gain", "Forever"} <= set(tracks)
    gain = tracks["Hostile Gain"]
    assert gain.get("replayGain") is None, gain
    assert rest(server, "search3", query="Hostile")["status"] == "ok"
    assert rest(server, "getAlbumList2", type="newest")["status"] == "ok"

    for reply in (rest(server, "getLyricsBySongId", id=f"tr-{gain['id']}"),):
        assert reply["status"] == "ok", reply
        lines = reply["lyricsList"]["structuredLyrics"][0]["line"]
        assert [(l["start"], l["value"]) for l in lines] == [(2500, "the one real line")]
    by_title = rest(server, "getLyrics", artist="Forger", title="Hostile Gain")
    assert by_title["status"] == "ok" and "the one real line" in by_title["lyrics"]["value"]

    forever = tracks["Forever"]
    # No real stream is below 4 kbit/s: a claim past size/500 seconds is cut to it.
    assert 0 < forever["durationMs"] <= len(mp3) * 2, forever["durationMs"]
    song = rest(server, "getSong", id=f"tr-{forever['id']}")["song"]
    assert song["duration"] <= len(mp3) // 500
    r = requests.get(f"{server.url}/rest/stream", params={"v": "1.16.1", "c": "hostile", "u": "eve", "p": PASSWORD,
                                                          "id": f"tr-{forever['id']}", "format": "mp3", "estimateContentLength": "true"},
                     timeout=60)
    assert r.status_code == 200
    declared = int(r.headers["Content-Length"])
    assert declared == len(r.content) and declared < 10_000_000, declared
    assert alive(server)


def test_non_finite_numbers_in_listenbrainz_json_are_rejected_not_500(hostile):
    d, server, eve, tmp = hostile
    body = ('{"listen_type": "single", "payload": [{"listened_at": 1700000000, "track_metadata": {"artist_name": "A",'
            ' "track_name": "T", "additional_info": {"weird": %s}}}]}')
    for number in ("1e999", "-1e999", "1E400"):
        r = requests.post(server.url + "/1/submit-listens", data=body % number,
                          headers={"Authorization": f"Token {eve}", "Content-Type": "application/json"}, timeout=10)
        assert r.status_code == 400, r.text
        assert r.json()["code"] == 400 and r.json()["error"]
    fine = requests.post(server.url + "/1/submit-listens", data=body % "1e300",
                         headers={"Authorization": f"Token {eve}", "Content-Type": "application/json"}, timeout=10)
    assert fine.status_code == 200, fine.text
    listens = requests.get(server.url + "/1/user/eve/listens", headers={"Authorization": f"Token {eve}"}).json()
    assert listens["payload"]["listens"][0]["track_metadata"]["additional_info"]["weird"] == 1e300
    assert alive(server)


def lying_zip(real_bytes):
    """A zip of one JSONL member whose headers declare 100 bytes; it really inflates to `real_bytes`."""
    line = b'{"listened_at": 1600000000, "track_metadata": {"artist_name": "Bomb", "track_name": "Tick"}}\n'
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("listens/2020/1.jsonl", line * (real_bytes // len(line) + 1))
    data = bytearray(out.getvalue())
    local = data.find(b"PK\x03\x04")
    data[local + 22:local + 26] = struct.pack("<I", 100)
    central = data.find(b"PK\x01\x02")
    data[central + 24:central + 28] = struct.pack("<I", 100)
    return bytes(data)


def test_zip_import_is_limited_by_what_is_read_not_what_it_declares(hostile):
    d, server, eve, tmp = hostile
    bomb = lying_zip(40 << 20)
    assert len(bomb) < 1 << 20
    r = requests.post(server.url + "/api/v1/me/listens/imports", headers=auth(eve), files={"file": ("export.zip", bomb)})
    assert r.status_code == 202, r.text
    url = f"{server.url}/api/v1/me/listens/imports/{r.json()['id']}"
    slowest = 0.0
    deadline = time.time() + 60
    while time.time() < deadline:
        started = time.time()
        assert alive(server)
        slowest = max(slowest, time.time() - started)
        state = requests.get(url, headers=auth(eve)).json()
        if state["state"] in ("done", "failed"):
            break
        time.sleep(0.05)
    assert state["state"] == "failed", state
    assert "unpacks to more than 8 MB" in state["error"], state
    assert slowest < 2, f"the health check waited {slowest:.1f} s during the import"
    assert not [n for n in os.listdir(os.path.join(d.data_dir, "imports")) if n.startswith("unpacked-")]


def test_a_release_id_never_reveals_another_users_private_album(hostile):
    d, server, eve, tmp = hostile
    admin = admin_token(d, server, username="root2")
    requests.post(server.url + "/api/v1/users", json={"username": "pia", "password": "password-pia"}, headers=auth(admin))
    pia = token_for(server, "pia", "password-pia")
    release = "8f1a9b4e-0c1d-4d5e-9f00-00000000abcd"
    cover = os.path.join(tmp, "leak/cover.jpg")
    from media import make_jpeg
    make_jpeg(cover, color="green")
    private = make_audio(os.path.join(tmp, "leak/secret.mp3"), seconds=1, cover=cover, title="Diary", artist="Pia",
                         album="Secret Sessions", MUSICBRAINZ_ALBUMID=release)
    upload(server, pia, "secret.mp3", open(private, "rb").read())
    bait = make_audio(os.path.join(tmp, "leak/bait.mp3"), seconds=1, title="Probe", artist="Eve", album="Bait",
                      MUSICBRAINZ_ALBUMID=release)
    upload(server, eve, "bait.mp3", open(bait, "rb").read())

    def albums(token):
        return {a["title"]: a for a in requests.get(server.url + "/api/v1/albums", headers=auth(token)).json()["items"]}
    eves, pias = albums(eve), albums(pia)
    assert "Secret Sessions" not in eves and "Bait" in eves, list(eves)
    assert eves["Bait"].get("artworkId") is None
    assert "Secret Sessions" in pias and pias["Secret Sessions"]["artworkId"]
    found = rest(server, "search3", query="Secret")
    assert found["searchResult3"].get("album", []) == [] and found["searchResult3"].get("song", []) == []
    album = rest(server, "getAlbum", id=f"al-{eves['Bait']['id']}")["album"]
    assert album["name"] == "Bait" and [s["title"] for s in album["song"]] == ["Probe"]

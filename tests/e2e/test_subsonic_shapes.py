"""Subsonic/OpenSubsonic shapes, writes and edge cases that test_subsonic.py leaves out: every endpoint
without a success test yet in both f=xml and f=json, the JSON mapping rules (arrays, numbers, booleans,
string ids, the OpenSubsonic envelope), admin writes, streaming details, album list types, ownership
checks, reportPlayback (OpenSubsonic playbackReport) and a few hostile inputs."""
import hashlib
import time
import xml.etree.ElementTree as ET

import pytest
import requests

from conftest import auth, token_for, wait_for
from media import duration, make_audio
from test_subsonic import NS, PASSWORD, body, rest, sub  # noqa: F401  (sub is the fixture every test here uses)

SUBSONIC_XMLNS = 'xmlns="http://subsonic.org/restapi"'


@pytest.fixture
def music(music):
    """The shared library plus lyrics: a synced .lrc sidecar next to Night River and unsynced lyrics
    embedded in Lantern, which is also given a year and a second genre (Rock) so that byYear, byGenre and
    the similar-songs/artists endpoints have something to order and to find."""
    (music / "Kaloven/Glass Echo/01.lrc").write_text("[00:00.50]Night river runs\n[00:02.00]Under paper static\n")
    make_audio(str(music / "Milo/Orbit/01.flac"), seconds=3, title="Lantern", artist="Milo", album="Orbit",
               genre="Jazz;Rock", date="1999", LYRICS="Lantern light\nKeeps the orbit")
    return music


# ----------------------------------------------------------------------------------------------------
# helpers


def library(server):
    """Ids by name: songs by title, albums by name, artists by name."""
    found = body(rest(server, "search3", query="", songCount=100, albumCount=100, artistCount=100))["searchResult3"]
    return {"song": {s["title"]: s["id"] for s in found["song"]},
            "album": {a["name"]: a["id"] for a in found["album"]},
            "artist": {a["name"]: a["id"] for a in found["artist"]}}


def make_user(server, admin_token, name, subsonic_password):
    """A non-admin made through the REST API (independent of Subsonic's createUser), with a Subsonic password."""
    r = requests.post(server.url + "/api/v1/users", json={"username": name, "password": "password-" + name}, headers=auth(admin_token))
    assert r.status_code in (200, 201), r.text
    t = token_for(server, name, "password-" + name)
    r = requests.put(server.url + "/api/v1/me/subsonic-password", json={"password": subsonic_password, "currentPassword": "password-" + name}, headers=auth(t))
    assert r.status_code == 200, r.text
    return {"u": name, "p": subsonic_password}


def ok_json(response):
    """The JSON envelope of a successful call, with the OpenSubsonic envelope fields checked."""
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Type"].startswith("application/json"), response.headers["Content-Type"]
    envelope = response.json()["subsonic-response"]
    assert envelope["status"] == "ok", envelope
    assert envelope["version"] == "1.16.1"
    assert isinstance(envelope["type"], str) and envelope["type"]
    assert isinstance(envelope["serverVersion"], str) and envelope["serverVersion"]
    assert envelope["openSubsonic"] is True
    return envelope


def ok_xml(response):
    """The XML root of a successful call: namespaced, status ok, OpenSubsonic attributes."""
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Type"].startswith(("application/xml", "text/xml")), response.headers["Content-Type"]
    start = response.text.index("<subsonic-response")
    assert SUBSONIC_XMLNS in response.text[start:response.text.index(">", start)], response.text[:200]
    root = ET.fromstring(response.content)
    assert root.tag == NS + "subsonic-response", root.tag
    assert root.get("status") == "ok", response.text[:500]
    assert root.get("version") == "1.16.1" and root.get("openSubsonic") == "true"
    assert root.get("type") and root.get("serverVersion")
    return root


def error_code(response, fmt="json"):
    assert response.status_code == 200, response.status_code
    if fmt == "json":
        envelope = body(response)
        assert envelope["status"] == "failed", envelope
        return envelope["error"]["code"]
    root = ET.fromstring(response.content)
    assert root.get("status") == "failed", response.text[:300]
    return int(root.find(NS + "error").get("code"))


# Keys whose JSON value must be an array (OpenSubsonic: repeated elements are arrays even with one
# member). "artist", "album" and "genre" are also plain string attributes of songs/albums.
LIST_KEYS = {"song", "album", "artist", "child", "entry", "share", "user", "internetRadioStation", "similarArtist",
             "structuredLyrics", "line", "index", "genre", "genres", "artists", "albumArtists", "folder", "releaseTypes"}
STRING_TOO = {"artist", "album", "genre"}
NUMBER_KEYS = {"songCount", "albumCount", "duration", "year", "track", "size", "bitRate", "playCount", "count",
               "folderCount", "visitCount", "position", "userRating", "discNumber", "samplingRate", "channelCount",
               "minutesAgo", "offset", "start", "bpm"}
BOOL_KEYS = {"isDir", "isVideo", "valid", "scanning", "public", "synced", "scrobblingEnabled", "isCompilation"}
ID_KEYS = {"id", "parent", "albumId", "artistId", "coverArt"}


def check_json_types(value, path=""):
    """Walks a JSON element: arrays where the schema repeats, numbers as numbers, booleans as booleans,
    ids as strings, every *Role as a boolean, user folders as numbers."""
    if isinstance(value, list):
        for i, item in enumerate(value):
            check_json_types(item, f"{path}[{i}]")
        return
    if not isinstance(value, dict):
        return
    for key, v in value.items():
        where = f"{path}.{key}"
        if key in LIST_KEYS:
            assert isinstance(v, list) or (key in STRING_TOO and isinstance(v, str)), f"{where} should be an array: {v!r}"
        if key in NUMBER_KEYS:
            assert isinstance(v, (int, float)) and not isinstance(v, bool), f"{where} should be a number: {v!r}"
        if key in BOOL_KEYS or key.endswith("Role"):
            assert isinstance(v, bool), f"{where} should be a boolean: {v!r}"
        if key in ID_KEYS:
            assert isinstance(v, str) and v, f"{where} should be a non-empty string id: {v!r}"
        if key == "folder":
            assert all(isinstance(f, int) and not isinstance(f, bool) for f in v), f"{where} should be numbers: {v!r}"
        check_json_types(v, where)


def xml_text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def check_same_as_xml(j, x, path):
    """JSON is a mechanical mapping of the XML: same attributes, same text, same number of repeated
    children. List members are paired by id when they have one (some lists are in random order)."""
    for key, value in j.items():
        where = f"{path}.{key}"
        if key == "value":
            assert (x.text or "") == value, (where, x.text, value)
        elif isinstance(value, list):
            children = x.findall(NS + key)
            assert len(children) == len(value), (where, len(children), len(value))
            dicts = [v for v in value if isinstance(v, dict)]
            if dicts and all("id" in v for v in dicts):
                by_id = {c.get("id"): c for c in children}
                for item in dicts:
                    assert item["id"] in by_id, (where, item["id"])
                    check_same_as_xml(item, by_id[item["id"]], where)
            else:
                for item, child in zip(value, children):
                    if isinstance(item, dict):
                        check_same_as_xml(item, child, where)
                    else:
                        assert (child.text or "") == xml_text(item), (where, child.text, item)
        elif isinstance(value, dict):
            child = x.find(NS + key)
            assert child is not None, (where, "missing in XML")
            check_same_as_xml(value, child, where)
        elif key in ("minutesAgo",):
            continue
        elif isinstance(value, float):
            assert float(x.get(key)) == pytest.approx(value), (where, x.get(key), value)
        else:
            assert x.get(key) == xml_text(value), (where, x.get(key), value)


def call_both(server, method, top, creds=None, compare=True, **params):
    """Calls a method as f=json and f=xml; returns (json element, xml element) after the shape checks.
    `compare=False` for calls whose answer changes between the two requests (startScan)."""
    j = ok_json(rest(server, method, creds=creds, **params))
    assert top in j, (method, sorted(j))
    element = j[top]
    assert isinstance(element, dict), (method, top, element)
    check_json_types(element, top)
    root = ok_xml(rest(server, method, fmt="xml", creds=creds, **params))
    x = root.find(NS + top)
    assert x is not None, (method, top, ET.tostring(root)[:300])
    if compare:
        check_same_as_xml(element, x, top)
    else:
        assert set(x.attrib) == {k for k, v in element.items() if not isinstance(v, (list, dict))}, (x.attrib, element)
    return element, x


# ----------------------------------------------------------------------------------------------------
# 1. every endpoint without a success test, in both formats


def _star_three(server, ids):
    r = rest(server, "star", id=ids["song"]["Night River"], albumId=ids["album"]["Orbit"], artistId=ids["artist"]["Milo"])
    ok_json(r)


def _share(server, ids):
    ok_json(rest(server, "createShare", id=ids["album"]["Glass Echo"], description="Two songs"))


def _radio(server, ids):
    ok_json(rest(server, "createInternetRadioStation", name="Radio One", streamUrl="https://radio.example/one.mp3",
                 homepageUrl="https://radio.example/"))


def _titles(element, key="song"):
    return sorted(s["title"] for s in element.get(key, []))


def check_license(j, x, ids):
    assert j["valid"] is True and x.get("valid") == "true"


def check_artist_info(j, x, ids):
    assert isinstance(j.get("similarArtist"), list)
    assert [a["name"] for a in j["similarArtist"]] == ["Milo"]          # shares Rock with Kaloven
    assert isinstance(j.get("biography", ""), str)


def check_album_info(j, x, ids):
    assert isinstance(j.get("notes", ""), str)
    assert isinstance(j.get("musicBrainzId", ""), str)


def check_similar(j, x, ids):
    assert _titles(j) == ["Lantern", "Paper Static"]                      # same genre, not the seed


def check_similar2(j, x, ids):
    assert _titles(j) == ["Lantern"]                                      # the one Rock song by someone else
    assert isinstance(j["song"], list) and len(j["song"]) == 1


def check_top_songs(j, x, ids):
    assert _titles(j) == ["Night River", "Paper Static"]
    assert all(s["artist"] == "Kaloven" for s in j["song"])


def check_album_list_v1(j, x, ids):
    albums = j["album"]
    assert [a["title"] for a in albums] == ["Glass Echo", "Orbit"]
    assert all(a["isDir"] is True for a in albums)                        # v1 lists are folder children
    assert all(c.get("isDir") == "true" for c in x.findall(NS + "album"))
    assert {a["id"] for a in albums} == {ids["album"]["Glass Echo"], ids["album"]["Orbit"]}


def check_starred_v1(j, x, ids):
    assert [s["id"] for s in j["song"]] == [ids["song"]["Night River"]]
    assert [a["id"] for a in j["album"]] == [ids["album"]["Orbit"]] and j["album"][0]["isDir"] is True
    assert [a["id"] for a in j["artist"]] == [ids["artist"]["Milo"]]
    assert isinstance(j["song"][0]["starred"], str)


def check_search2(j, x, ids):
    assert _titles(j) == ["Lantern", "Night River", "Paper Static"]
    assert sorted(a["title"] for a in j["album"]) == ["Glass Echo", "Orbit"]
    assert all(a["isDir"] is True for a in j["album"])
    assert sorted(a["name"] for a in j["artist"]) == ["Kaloven", "Milo"]


def check_shares(j, x, ids):
    shares = j["share"]
    assert len(shares) == 1 and isinstance(shares, list)                 # an array with one element
    share = shares[0]
    assert share["description"] == "Two songs" and share["username"] == "root"
    assert isinstance(share["url"], str) and "/share/" in share["url"]
    assert isinstance(share["created"], str) and isinstance(share["visitCount"], int)
    assert [e["title"] for e in share["entry"]] == ["Night River", "Paper Static"]


def check_radio(j, x, ids):
    stations = j["internetRadioStation"]
    assert isinstance(stations, list) and len(stations) == 1
    s = stations[0]
    assert s["name"] == "Radio One" and s["streamUrl"] == "https://radio.example/one.mp3"
    assert s["homePageUrl"] == "https://radio.example/" and isinstance(s["id"], str)


def check_users(j, x, ids):
    users = j["user"]
    assert isinstance(users, list) and [u["username"] for u in users] == ["root"]
    assert users[0]["adminRole"] is True and users[0]["streamRole"] is True
    assert x.find(NS + "user").get("adminRole") == "true"


def check_user(j, x, ids):
    assert j["username"] == "root" and j["adminRole"] is True
    roles = [k for k in j if k.endswith("Role")]
    assert {"adminRole", "streamRole", "downloadRole", "playlistRole", "settingsRole"} <= set(roles)
    assert all(isinstance(j[k], bool) for k in roles)
    assert isinstance(j["folder"], list) and j["folder"] and all(isinstance(f, int) for f in j["folder"])
    assert isinstance(j["scrobblingEnabled"], bool)


def check_scan_status(j, x, ids):
    assert isinstance(j["scanning"], bool) and isinstance(j["count"], int) and not isinstance(j["count"], bool)
    assert j["count"] == 3
    assert x.get("scanning") in ("true", "false") and x.get("count") == "3"


def check_lyrics(j, x, ids):
    assert j["artist"] == "Kaloven" and j["title"] == "Night River"
    assert j["value"].splitlines() == ["Night river runs", "Under paper static"]   # the text, without LRC stamps


def check_lyrics_synced(j, x, ids):
    lyrics = j["structuredLyrics"]
    assert isinstance(lyrics, list) and len(lyrics) == 1
    lyric = lyrics[0]
    assert lyric["synced"] is True and isinstance(lyric["lang"], str) and lyric["lang"]
    assert lyric["displayTitle"] == "Night River" and lyric["displayArtist"] == "Kaloven"
    assert [(line["start"], line["value"]) for line in lyric["line"]] == [(500, "Night river runs"), (2000, "Under paper static")]
    xml_lines = x.find(NS + "structuredLyrics").findall(NS + "line")
    assert [(line.get("start"), line.text) for line in xml_lines] == [("500", "Night river runs"), ("2000", "Under paper static")]


def check_lyrics_embedded(j, x, ids):
    lyrics = j["structuredLyrics"]
    assert isinstance(lyrics, list) and len(lyrics) == 1
    lyric = lyrics[0]
    assert lyric["synced"] is False and isinstance(lyric["lang"], str) and lyric["lang"]
    assert [line["value"] for line in lyric["line"]] == ["Lantern light", "Keeps the orbit"]
    assert all("start" not in line for line in lyric["line"])


# name: (method, params from the ids, documented top-level element, setup or None, extra checks)
ENDPOINTS = {
    "getLicense": ("getLicense", lambda ids: {}, "license", None, check_license),
    "getArtistInfo": ("getArtistInfo", lambda ids: {"id": ids["artist"]["Kaloven"]}, "artistInfo", None, check_artist_info),
    "getArtistInfo2": ("getArtistInfo2", lambda ids: {"id": ids["artist"]["Kaloven"]}, "artistInfo2", None, check_artist_info),
    "getAlbumInfo": ("getAlbumInfo", lambda ids: {"id": ids["album"]["Glass Echo"]}, "albumInfo", None, check_album_info),
    "getAlbumInfo2": ("getAlbumInfo2", lambda ids: {"id": ids["album"]["Glass Echo"]}, "albumInfo", None, check_album_info),
    "getSimilarSongs": ("getSimilarSongs", lambda ids: {"id": ids["song"]["Night River"]}, "similarSongs", None, check_similar),
    "getSimilarSongs2": ("getSimilarSongs2", lambda ids: {"id": ids["artist"]["Kaloven"]}, "similarSongs2", None, check_similar2),
    "getTopSongs": ("getTopSongs", lambda ids: {"artist": "Kaloven"}, "topSongs", None, check_top_songs),
    "getAlbumList": ("getAlbumList", lambda ids: {"type": "alphabeticalByName", "size": 10}, "albumList", None, check_album_list_v1),
    "getStarred": ("getStarred", lambda ids: {}, "starred", _star_three, check_starred_v1),
    "search2": ("search2", lambda ids: {"query": "", "songCount": 50}, "searchResult2", None, check_search2),
    "getShares": ("getShares", lambda ids: {}, "shares", _share, check_shares),
    "getInternetRadioStations": ("getInternetRadioStations", lambda ids: {}, "internetRadioStations", _radio, check_radio),
    "getUsers": ("getUsers", lambda ids: {}, "users", None, check_users),
    "getUser": ("getUser", lambda ids: {"username": "root"}, "user", None, check_user),
    "getScanStatus": ("getScanStatus", lambda ids: {}, "scanStatus", None, check_scan_status),
    "getLyrics": ("getLyrics", lambda ids: {"artist": "Kaloven", "title": "Night River"}, "lyrics", None, check_lyrics),
    "getLyricsBySongId-lrc": ("getLyricsBySongId", lambda ids: {"id": ids["song"]["Night River"]}, "lyricsList", None,
                              check_lyrics_synced),
    "getLyricsBySongId-embedded": ("getLyricsBySongId", lambda ids: {"id": ids["song"]["Lantern"]}, "lyricsList", None,
                                   check_lyrics_embedded),
}


@pytest.mark.parametrize("case", list(ENDPOINTS))
def test_endpoint_answers_its_documented_element_in_xml_and_json(sub, case):
    server, token, c = sub
    method, params, top, setup, check = ENDPOINTS[case]
    ids = library(server)
    if setup:
        setup(server, ids)
    j, x = call_both(server, method, top, **params(ids))
    check(j, x, ids)


def test_get_avatar_is_an_image(sub):
    server, token, c = sub
    for fmt in ("json", "xml"):
        r = rest(server, "getAvatar", fmt=fmt, username="root")
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("image/"), (fmt, r.headers.get("Content-Type"))
        assert len(r.content) > 0
    assert error_code(rest(server, "getAvatar", username="nobody-here")) == 70


def test_similar_songs_name_each_song_once(sub, music):
    """A song sharing two genres with the seed is still one similar song (and one slot of `count`)."""
    server, token, c = sub
    make_audio(str(music / "Zed/Late/01.mp3"), seconds=1, title="Both", artist="Zed", album_artist="Zed", album="Late",
               genre="Jazz;Rock")
    requests.post(server.url + "/api/v1/libraries/1/scan", headers=auth(token), json={})
    assert wait_for(lambda: len(body(rest(server, "search3", query="", songCount=50))["searchResult3"]["song"]) == 4)
    ids = library(server)
    expected = ["Both", "Night River", "Paper Static"]                     # Lantern is Jazz and Rock
    for method, seed, top in (("getSimilarSongs", ids["song"]["Lantern"], "similarSongs"),
                              ("getSimilarSongs2", ids["artist"]["Milo"], "similarSongs2")):
        for _ in range(3):                                                 # the order is random
            j, x = call_both(server, method, top, id=seed, count=50)
            assert sorted(s["title"] for s in j["song"]) == expected, (method, [s["title"] for s in j["song"]])
        assert len(body(rest(server, method, id=seed, count=3))[top]["song"]) == 3


# ----------------------------------------------------------------------------------------------------
# 2. writes


def test_internet_radio_round_trip(sub):
    server, token, c = sub
    ok_json(rest(server, "createInternetRadioStation", name="Radio One", streamUrl="https://radio.example/one.mp3",
                 homepageUrl="https://radio.example/"))
    stations, _ = call_both(server, "getInternetRadioStations", "internetRadioStations")
    [station] = stations["internetRadioStation"]
    assert station["name"] == "Radio One" and station["streamUrl"] == "https://radio.example/one.mp3"
    ok_json(rest(server, "updateInternetRadioStation", id=station["id"], name="Radio Two", streamUrl="https://radio.example/two.ogg",
                 homepageUrl="https://two.example/"))
    [updated] = body(rest(server, "getInternetRadioStations"))["internetRadioStations"]["internetRadioStation"]
    assert (updated["id"], updated["name"], updated["streamUrl"], updated["homePageUrl"]) == \
        (station["id"], "Radio Two", "https://radio.example/two.ogg", "https://two.example/")
    ok_json(rest(server, "deleteInternetRadioStation", id=station["id"]))
    after = body(rest(server, "getInternetRadioStations"))["internetRadioStations"]
    assert after.get("internetRadioStation", []) == []
    assert error_code(rest(server, "deleteInternetRadioStation", id=station["id"])) == 70
    assert error_code(rest(server, "updateInternetRadioStation", id=station["id"], name="x", streamUrl="https://x.example/")) == 70


def test_user_management_by_an_admin_and_refused_to_others(sub):
    server, token, c = sub
    alice_pw = "alice-pass-1"
    ok_json(rest(server, "createUser", username="alice", password="enc:" + alice_pw.encode().hex(), email="alice@example.com",
                 adminRole="false", streamRole="true"))
    # A user made over Subsonic can use Subsonic with that password, token auth included.
    assert ok_json(rest(server, "ping", creds={"u": "alice", "p": alice_pw}))
    salt = "s4lt"
    assert ok_json(rest(server, "ping", creds={"u": "alice", "t": hashlib.md5((alice_pw + salt).encode()).hexdigest(), "s": salt}))
    alice, _ = call_both(server, "getUser", "user", username="alice")
    assert alice["username"] == "alice" and alice["adminRole"] is False
    ok_json(rest(server, "updateUser", username="alice", adminRole="true"))
    assert body(rest(server, "getUser", username="alice"))["user"]["adminRole"] is True
    ok_json(rest(server, "changePassword", username="alice", password="alice-pass-2"))
    assert error_code(rest(server, "ping", creds={"u": "alice", "p": alice_pw})) == 40
    ok_json(rest(server, "ping", creds={"u": "alice", "p": "alice-pass-2"}))
    assert sorted(u["username"] for u in body(rest(server, "getUsers"))["users"]["user"]) == ["alice", "root"]

    # A non-admin: every admin call is error 50, and nothing changes.
    ok_json(rest(server, "createUser", username="bob", password="bob-pass-11", email="bob@example.com"))
    bob = {"u": "bob", "p": "bob-pass-11"}
    for fmt in ("json", "xml"):
        assert error_code(rest(server, "createUser", fmt=fmt, creds=bob, username="carol", password="carol-pass-1",
                               email="c@example.com"), fmt) == 50
        assert error_code(rest(server, "updateUser", fmt=fmt, creds=bob, username="alice", adminRole="false"), fmt) == 50
        assert error_code(rest(server, "updateUser", fmt=fmt, creds=bob, username="bob", adminRole="true"), fmt) == 50
        assert error_code(rest(server, "deleteUser", fmt=fmt, creds=bob, username="alice"), fmt) == 50
        assert error_code(rest(server, "changePassword", fmt=fmt, creds=bob, username="alice", password="stolen-pass-1"), fmt) == 50
        assert error_code(rest(server, "getUsers", fmt=fmt, creds=bob), fmt) == 50
        assert error_code(rest(server, "createInternetRadioStation", fmt=fmt, creds=bob, name="x",
                               streamUrl="https://x.example/"), fmt) == 50
    assert error_code(rest(server, "getUser", username="carol")) == 70
    assert body(rest(server, "getUser", username="alice"))["user"]["adminRole"] is True
    assert body(rest(server, "getUser", username="bob"))["user"]["adminRole"] is False
    ok_json(rest(server, "ping", creds={"u": "alice", "p": "alice-pass-2"}))
    # ...but anyone may change their own password.
    ok_json(rest(server, "changePassword", creds=bob, username="bob", password="bob-pass-22"))
    ok_json(rest(server, "ping", creds={"u": "bob", "p": "bob-pass-22"}))

    ok_json(rest(server, "deleteUser", username="alice"))
    assert error_code(rest(server, "getUser", username="alice")) == 70
    assert error_code(rest(server, "ping", creds={"u": "alice", "p": "alice-pass-2"})) == 40


def test_start_scan_then_scan_status(sub, music):
    server, token, c = sub
    make_audio(str(music / "Zed/Late/01.mp3"), seconds=1, title="New One", artist="Zed", album_artist="Zed", album="Late")
    started, x = call_both(server, "startScan", "scanStatus", compare=False)
    assert started["scanning"] is True and isinstance(started["count"], int)          # it has just been started
    assert x.get("scanning") in ("true", "false") and x.get("count").isdigit()
    assert wait_for(lambda: (lambda s: s["scanning"] is False and s["count"] == 4)(body(rest(server, "getScanStatus"))["scanStatus"]))
    status, _ = call_both(server, "getScanStatus", "scanStatus")
    assert status["count"] == 4 and status["scanning"] is False
    assert "New One" in [s["title"] for s in body(rest(server, "search3", query="new one"))["searchResult3"]["song"]]


def test_download_stream_range_time_offset_and_max_bit_rate(sub, music):
    server, token, c = sub
    ids = library(server)
    night, lantern = ids["song"]["Night River"], ids["song"]["Lantern"]
    mp3 = (music / "Kaloven/Glass Echo/01.mp3").read_bytes()
    flac = (music / "Milo/Orbit/01.flac").read_bytes()

    for song_id, original in ((night, mp3), (lantern, flac)):
        d = rest(server, "download", id=song_id)
        assert d.status_code == 200 and d.content == original, (song_id, d.status_code, len(d.content), len(original))

    r = requests.get(
        f"{server.url}/rest/stream", params={"u": "root", "p": PASSWORD, "v": "1.16.1", "c": "t", "id": night},
        headers={"Range": "bytes=100-199"})
    assert r.status_code == 206, r.status_code
    assert r.content == mp3[100:200]
    assert r.headers["Content-Range"] == f"bytes 100-199/{len(mp3)}" and r.headers["Content-Length"] == "100"
    probe = requests.get(f"{server.url}/rest/stream", params={"u": "root", "p": PASSWORD, "v": "1.16.1", "c": "t", "id": night},
                         headers={"Range": "bytes=0-1"})
    assert probe.status_code == 206 and probe.content == mp3[:2]

    # timeOffset on a file that would otherwise go out raw (no format, no bit rate): shorter audio.
    for song_id, total, offset in ((night, 4.0, 2), (lantern, 3.0, 1)):
        shifted = rest(server, "stream", id=song_id, timeOffset=str(offset))
        assert shifted.status_code == 200 and shifted.headers["Content-Type"].startswith("audio/"), shifted.text[:200]
        assert abs(duration(shifted.content) - (total - offset)) < 0.4, (song_id, duration(shifted.content))

    # maxBitRate alone: a 64 kbps limit on FLAC gives audio at about 64 kbps, whole length.
    limited = rest(server, "stream", id=lantern, maxBitRate="64")
    assert limited.status_code == 200 and limited.headers["Content-Type"].startswith("audio/"), limited.text[:200]
    seconds = duration(limited.content)
    assert abs(seconds - 3.0) < 0.4
    assert len(limited.content) * 8 / seconds <= 64000 * 1.2, len(limited.content) * 8 / seconds
    # A limit the file already meets sends the original.
    same = rest(server, "stream", id=night, maxBitRate="320")
    assert same.status_code == 200 and same.content == mp3
    lower = rest(server, "stream", id=night, maxBitRate="96")
    assert lower.status_code == 200 and len(lower.content) * 8 / duration(lower.content) <= 96000 * 1.2


# ----------------------------------------------------------------------------------------------------
# 3. album list types


def test_album_lists_highest_recent_by_genre_and_reverse_years(sub):
    server, token, c = sub
    ids = library(server)
    glass, orbit = ids["album"]["Glass Echo"], ids["album"]["Orbit"]
    names = lambda kind, **p: [a["name"] for a in body(rest(server, "getAlbumList2", type=kind, size=10, **p))["albumList2"]["album"]]

    ok_json(rest(server, "setRating", id=orbit, rating=5))
    ok_json(rest(server, "setRating", id=glass, rating=2))
    assert names("highest") == ["Orbit", "Glass Echo"]
    ok_json(rest(server, "setRating", id=glass, rating=5))
    ok_json(rest(server, "setRating", id=orbit, rating=1))
    assert names("highest") == ["Glass Echo", "Orbit"]
    v1 = body(rest(server, "getAlbumList", type="highest", size=10))["albumList"]["album"]
    assert [a["title"] for a in v1] == ["Glass Echo", "Orbit"] and all(a["isDir"] is True for a in v1)

    now = int(time.time() * 1000)
    ok_json(rest(server, "scrobble", id=ids["song"]["Night River"], time=str(now - 120_000)))
    ok_json(rest(server, "scrobble", id=ids["song"]["Lantern"], time=str(now - 60_000)))
    assert names("recent") == ["Orbit", "Glass Echo"]
    ok_json(rest(server, "scrobble", id=ids["song"]["Paper Static"], time=str(now - 10_000)))
    assert names("recent") == ["Glass Echo", "Orbit"]

    assert names("byGenre", genre="Jazz") == ["Orbit"]
    assert names("byGenre", genre="Rock") == ["Glass Echo", "Orbit"]
    assert names("byGenre", genre="Polka") == []

    assert names("byYear", fromYear=1990, toYear=2010) == ["Orbit", "Glass Echo"]        # 1999, 2004
    assert names("byYear", fromYear=2010, toYear=1990) == ["Glass Echo", "Orbit"]        # reversed
    assert names("byYear", fromYear=2000, toYear=1990) == ["Orbit"]


# ----------------------------------------------------------------------------------------------------
# 4. ownership and ids that do not exist


def test_another_user_cannot_change_or_delete_my_share(sub):
    server, token, c = sub
    ids = library(server)
    share = body(rest(server, "createShare", id=ids["album"]["Glass Echo"], description="Mine"))["shares"]["share"][0]
    guest = make_user(server, token, "guest", "guest-sub-pw")
    assert body(rest(server, "getShares", creds=guest))["shares"].get("share", []) == []
    for fmt in ("json", "xml"):
        code = error_code(rest(server, "updateShare", fmt=fmt, creds=guest, id=share["id"], description="Hacked", expires="1"), fmt)
        assert code in (50, 70), ("updateShare by another user", fmt, code)
        code = error_code(rest(server, "deleteShare", fmt=fmt, creds=guest, id=share["id"]), fmt)
        assert code in (50, 70), ("deleteShare by another user", fmt, code)
    [still] = body(rest(server, "getShares"))["shares"]["share"]
    assert still["id"] == share["id"] and still["description"] == "Mine" and "expires" not in still
    assert requests.get(server.url + "/share/" + share["url"].split("/share/")[1]).status_code == 200
    # The owner still can.
    ok_json(rest(server, "updateShare", id=share["id"], description="Still mine"))
    assert body(rest(server, "getShares"))["shares"]["share"][0]["description"] == "Still mine"
    assert error_code(rest(server, "deleteShare", id="987654")) == 70


def test_create_playlist_with_an_unknown_song_is_not_found(sub):
    server, token, c = sub
    ids = library(server)
    for fmt in ("json", "xml"):
        r = rest(server, "createPlaylist", fmt=fmt, name="Ghosts", songId=[ids["song"]["Lantern"], "tr-999999"])
        assert error_code(r, fmt) == 70, r.text[:300]
    assert body(rest(server, "getPlaylists"))["playlists"].get("playlist", []) == []
    # Adding one to an existing playlist: the same error, and the playlist is unchanged.
    created = body(rest(server, "createPlaylist", name="Real", songId=ids["song"]["Lantern"]))["playlist"]
    assert error_code(rest(server, "updatePlaylist", playlistId=created["id"], songIdToAdd="tr-999999")) == 70
    assert [e["title"] for e in body(rest(server, "getPlaylist", id=created["id"]))["playlist"]["entry"]] == ["Lantern"]


# ----------------------------------------------------------------------------------------------------
# 5. reportPlayback (OpenSubsonic playbackReport)


def report(server, song_id, state, position_ms, **extra):
    return rest(server, "reportPlayback", mediaId=song_id, mediaType="song", state=state, positionMs=str(position_ms), **extra)


def test_report_playback_sets_now_playing_and_counts_finished_plays(sub):
    server, token, c = sub
    extensions = {e["name"]: e["versions"] for e in body(rest(server, "getOpenSubsonicExtensions"))["openSubsonicExtensions"]}
    assert extensions.get("playbackReport") == [1]
    ids = library(server)
    night, paper = ids["song"]["Night River"], ids["song"]["Paper Static"]   # 4 s and 3 s
    plays = lambda song: body(rest(server, "getSong", id=song))["song"].get("playCount", 0)
    playing = lambda: [e["id"] for e in body(rest(server, "getNowPlaying"))["nowPlaying"].get("entry", [])]

    ok_json(report(server, night, "starting", 0))
    assert playing() == [night]
    ok_json(report(server, night, "playing", 1000, playbackRate="1.0"))
    [entry] = body(rest(server, "getNowPlaying"))["nowPlaying"]["entry"]
    assert entry["id"] == night and entry["username"] == "root"
    lb_now = lambda: requests.get(server.url + "/1/user/root/playing-now", headers=auth(token)).json()["payload"]["listens"]
    assert [l["track_metadata"]["track_name"] for l in lb_now()] == ["Night River"]
    ok_json(report(server, night, "stopped", 3000))                       # past half of 4 s: a play
    assert plays(night) == 1
    assert night not in playing() and lb_now() == []                      # the feed's playing-now ends too
    ok_json(report(server, night, "stopped", 3000))                       # a repeated stop counts nothing
    assert plays(night) == 1

    # Stopped early: no play.
    ok_json(report(server, paper, "starting", 0))
    ok_json(report(server, paper, "playing", 100))
    ok_json(report(server, paper, "stopped", 200))
    assert plays(paper) == 0

    # ignoreScrobble: now playing only, never a play.
    ok_json(report(server, night, "starting", 0, ignoreScrobble="true"))
    assert playing() == [night]
    ok_json(report(server, night, "playing", 1000, ignoreScrobble="true"))
    ok_json(report(server, night, "stopped", 3900, ignoreScrobble="true"))
    assert plays(night) == 1

    # And the XML answer is the empty envelope.
    ok_xml(rest(server, "reportPlayback", fmt="xml", mediaId=paper, mediaType="song", state="starting", positionMs="0"))
    assert error_code(report(server, "tr-999999", "playing", 0)) == 70
    assert error_code(report(server, night, "dancing", 0)) in (0, 10)


# ----------------------------------------------------------------------------------------------------
# 6. hostile input


HOSTILE = [
    ("ping", {"creds": {"u": "root", "t": "0" * 32}}, 10),          # token without its salt
    ("ping", {"creds": {"u": "root", "s": "abc123"}}, 10),          # salt without its token
    ("getPlaylist", {"id": "pl-0"}, 70), ("getPlaylist", {"id": "pl-99999999999999999999999"}, 70),
    ("getPlaylist", {"id": "pl-"}, 70), ("getPlaylist", {"id": "pl-1e3"}, 70), ("getPlaylist", {"id": "al-1"}, 70),
    ("getLyricsBySongId", {}, 10), ("getAlbumInfo", {"id": "al-424242"}, 70), ("getArtistInfo2", {"id": "ar-424242"}, 70),
    ("updateInternetRadioStation", {"id": "abc", "name": "x", "streamUrl": "https://x.example/"}, 70),
    ("download", {"id": "tr-424242"}, 70), ("getUser", {}, 10), ("getAvatar", {}, 10),
]


@pytest.mark.parametrize("method,params,code", HOSTILE)
def test_more_hostile_input_gets_the_error_envelope(sub, method, params, code):
    server, token, c = sub
    params = dict(params)
    creds = params.pop("creds", None)
    for fmt in ("json", "xml"):
        assert error_code(rest(server, method, fmt=fmt, creds=creds, **params), fmt) == code, (method, params, fmt)


def test_search3_with_a_huge_song_count_answers_a_page(sub):
    """The spec documents no maximum for search3's counts and requires an empty query to return
    everything for offline sync: an oversized count gets a page (possibly capped), not an error."""
    server, token, c = sub
    for fmt in ("json", "xml"):
        r = rest(server, "search3", fmt=fmt, query="", songCount="100000", albumCount="100000", artistCount="100000")
        if fmt == "json":
            result = ok_json(r)["searchResult3"]
            assert len(result["song"]) == 3 and len(result["album"]) == 2, result
        else:
            result = ok_xml(r).find(NS + "searchResult3")
            assert len(result.findall(NS + "song")) == 3


def test_star_with_a_thousand_ids(sub):
    """The spec sets no limit on repeated ids. A server may refuse an oversized batch, but with the error
    envelope, promptly and atomically (nothing starred); batches of a few hundred must work."""
    server, token, c = sub
    ids = library(server)
    songs = sorted(ids["song"].values())
    starred = lambda: sorted(s["id"] for s in body(rest(server, "getStarred2"))["starred2"]["song"])
    many = [songs[i % 3] for i in range(1000)]
    form = {"u": "root", "p": PASSWORD, "v": "1.16.1", "c": "t", "f": "json"}
    started = time.time()
    r = requests.post(f"{server.url}/rest/star.view", data=dict(form, id=many), timeout=60)
    assert r.status_code == 200 and time.time() - started < 30
    if body(r)["status"] == "ok":
        assert starred() == songs                                          # each once, no duplicates
        ok_json(requests.post(f"{server.url}/rest/unstar.view", data=dict(form, id=many), timeout=60))
    else:
        assert body(r)["error"]["code"] in (0, 10) and body(r)["error"]["message"], body(r)
    assert starred() == []
    g = rest(server, "star", id=many)                                        # GET, about 12 KB of query string
    assert g.status_code == 200 and body(g)["status"] in ("ok", "failed"), g.status_code
    ok_json(rest(server, "unstar", id=many[:300]))

    # A few hundred at once: starred, each once.
    some = many[:300]
    ok_json(requests.post(f"{server.url}/rest/star.view", data=dict(form, id=some), timeout=60))
    assert starred() == songs
    ok_json(requests.post(f"{server.url}/rest/unstar.view", data=dict(form, id=some), timeout=60))
    assert starred() == []
    # One unknown id among them: not found, and nothing is starred.
    assert error_code(requests.post(f"{server.url}/rest/star.view", data=dict(form, id=some[:299] + ["tr-999999"]), timeout=60)) == 70
    assert starred() == []

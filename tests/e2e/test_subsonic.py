"""Subsonic/OpenSubsonic as clients see it: py-sonic (the library many tools use) plus direct
requests for the XML and JSON shapes and for hostile input."""
import hashlib
import json
import xml.etree.ElementTree as ET

import libsonic
import pytest
import requests

from conftest import ADMIN_PASSWORD, auth, token_for
from media import duration

NS = "{http://subsonic.org/restapi}"
PASSWORD = "subsonic-pass-1"


@pytest.fixture
def sub(server_with_music):
    server, token = server_with_music
    r = requests.put(server.url + "/api/v1/me/subsonic-password", json={"password": PASSWORD, "currentPassword": ADMIN_PASSWORD}, headers=auth(token))
    assert r.status_code == 200 and r.json()["password"] == PASSWORD
    assert requests.get(server.url + "/api/v1/me/subsonic-password", headers=auth(token)).json() == {"set": True}
    # Reading it back takes the account password: a session or token alone is not enough.
    reveal = server.url + "/api/v1/me/subsonic-password/reveal"
    assert requests.post(reveal, json={}, headers=auth(token)).status_code == 403
    assert requests.post(reveal, json={"currentPassword": "wrong-password"}, headers=auth(token)).status_code == 403
    assert requests.post(reveal, json={"currentPassword": ADMIN_PASSWORD}, headers=auth(token)).json()["password"] == PASSWORD
    assert requests.put(server.url + "/api/v1/me/subsonic-password", json={"password": "x" * 10}, headers=auth(token)).status_code == 403
    client = libsonic.Connection("http://127.0.0.1", "root", PASSWORD, port=server.port, appName="cadenza-tests")
    return server, token, client


def rest(server, method, fmt="json", creds=None, **params):
    query = {"v": "1.16.1", "c": "tests", "f": fmt}
    query.update(creds if creds is not None else {"u": "root", "p": PASSWORD})
    query.update(params)
    return requests.get(f"{server.url}/rest/{method}", params=query)


def body(response):
    return response.json()["subsonic-response"]


def test_browse_search_and_stream_with_py_sonic(sub):
    server, token, c = sub
    assert c.ping()
    folders = c.getMusicFolders()["musicFolders"]["musicFolder"]
    assert [f["name"] for f in folders] == ["Music"]
    artists = [a for ix in c.getArtists()["artists"]["index"] for a in ix["artist"]]
    assert sorted(a["name"] for a in artists) == ["Kaloven", "Milo"]
    kaloven = next(a for a in artists if a["name"] == "Kaloven")
    albums = c.getArtist(kaloven["id"])["artist"]["album"]
    assert [a["name"] for a in albums] == ["Glass Echo"]
    album = c.getAlbum(albums[0]["id"])["album"]
    assert album["songCount"] == 2 and album["year"] == 2004
    assert album["releaseTypes"] == ["Album"]   # OpenSubsonic, from the RELEASETYPE tag
    songs = album["song"]
    assert [s["title"] for s in songs] == ["Night River", "Paper Static"]
    song = c.getSong(songs[0]["id"])["song"]
    assert song["suffix"] == "mp3" and song["contentType"] == "audio/mpeg" and song["duration"] == 4

    data = c.stream(song["id"]).read()
    rest_file = requests.get(f"{server.url}/api/v1/files/{next(t for t in requests.get(server.url + '/api/v1/tracks', headers=auth(token)).json()['items'] if t['title'] == 'Night River')['files'][0]['id']}/audio", headers=auth(token)).content
    assert data == rest_file and len(data) == song["size"]
    cover = c.getCoverArt(album["coverArt"], size=64).read()
    assert cover[:2] == b"\xff\xd8"

    everything = c.search3("", songCount=500, albumCount=500, artistCount=500)["searchResult3"]
    assert len(everything["song"]) == 3 and len(everything["album"]) == 2
    quoted = body(rest(server, "search3", query='""', songCount=500))["searchResult3"]
    assert len(quoted["song"]) == 3
    paged = c.search3("", songCount=2, songOffset=2)["searchResult3"]["song"]
    assert len(paged) == 1
    found = c.search3("lant")["searchResult3"]
    assert [s["title"] for s in found["song"]] == ["Lantern"]

    # Folder-mode clients: indexes → artist directory → album directory → songs.
    indexes = c.getIndexes()["indexes"]["index"]
    artist_dir = next(a for ix in indexes for a in ix["artist"] if a["name"] == "Milo")
    albums_dir = c.getMusicDirectory(artist_dir["id"])["directory"]["child"]
    assert albums_dir[0]["isDir"] is True
    songs_dir = c.getMusicDirectory(albums_dir[0]["id"])["directory"]["child"]
    assert [s["title"] for s in songs_dir] == ["Lantern"]

    genres = {g["value"]: g for g in c.getGenres()["genres"]["genre"]}
    assert genres["Rock"]["songCount"] == 2
    by_genre = c.getSongsByGenre("Jazz")["songsByGenre"]["song"]
    assert [s["title"] for s in by_genre] == ["Lantern"]
    assert len(c.getRandomSongs(size=10)["randomSongs"]["song"]) == 3
    for kind in ["random", "newest", "alphabeticalByName", "alphabeticalByArtist"]:
        assert len(c.getAlbumList2(kind, size=10)["albumList2"]["album"]) == 2, kind
    by_year = c.getAlbumList2("byYear", size=10, fromYear=2000, toYear=2010)["albumList2"]["album"]
    assert [a["name"] for a in by_year] == ["Glass Echo"]


def test_playlists_crud_and_privacy(sub):
    server, token, c = sub
    songs = c.search3("", songCount=10)["searchResult3"]["song"]
    c.createPlaylist(name="Road trip", songIds=[songs[0]["id"], songs[1]["id"]])
    playlists = c.getPlaylists()["playlists"]["playlist"]
    assert [p["name"] for p in playlists] == ["Road trip"] and playlists[0]["songCount"] == 2
    pid = playlists[0]["id"]
    c.updatePlaylist(pid, name="Road trip 2", songIdsToAdd=[songs[2]["id"]], songIndexesToRemove=[0])
    playlist = c.getPlaylist(pid)["playlist"]
    assert playlist["name"] == "Road trip 2"
    assert [e["id"] for e in playlist["entry"]] == [songs[1]["id"], songs[2]["id"]]

    requests.post(server.url + "/api/v1/users", json={"username": "guest", "password": "password-g"}, headers=auth(token))
    guest_token = token_for(server, "guest", "password-g")
    requests.put(server.url + "/api/v1/me/subsonic-password", json={"password": "guest-sub-pw", "currentPassword": "password-g"}, headers=auth(guest_token))
    guest = {"u": "guest", "p": "guest-sub-pw"}
    assert body(rest(server, "getPlaylists", creds=guest))["playlists"]["playlist"] == []
    assert body(rest(server, "getPlaylist", creds=guest, id=pid))["error"]["code"] == 70
    assert body(rest(server, "deletePlaylist", creds=guest, id=pid))["error"]["code"] == 70
    c.deletePlaylist(pid)
    assert c.getPlaylists()["playlists"]["playlist"] == []


def test_stars_ratings_scrobbles_and_now_playing(sub):
    server, token, c = sub
    songs = c.search3("", songCount=10)["searchResult3"]["song"]
    albums = c.getAlbumList2("alphabeticalByName", size=10)["albumList2"]["album"]
    c.star(sids=[songs[0]["id"]], albumIds=[albums[0]["id"]])
    starred = c.getStarred2()["starred2"]
    assert [s["id"] for s in starred["song"]] == [songs[0]["id"]]
    assert [a["id"] for a in starred["album"]] == [albums[0]["id"]]
    assert c.getAlbumList2("starred", size=10)["albumList2"]["album"][0]["id"] == albums[0]["id"]
    c.unstar(sids=[songs[0]["id"]])
    assert c.getStarred2()["starred2"]["song"] == []

    c.setRating(songs[1]["id"], 5)
    assert c.getSong(songs[1]["id"])["song"]["userRating"] == 5
    c.setRating(songs[1]["id"], 0)
    assert "userRating" not in c.getSong(songs[1]["id"])["song"]
    assert body(rest(server, "setRating", id=songs[1]["id"], rating=9))["error"]["code"] == 0

    c.scrobble(songs[2]["id"], submission=False)
    playing = c.getNowPlaying()["nowPlaying"]["entry"]
    assert playing[0]["id"] == songs[2]["id"] and playing[0]["username"] == "root"
    c.scrobble(songs[2]["id"], submission=True)
    assert c.getSong(songs[2]["id"])["song"]["playCount"] == 1
    assert c.getNowPlaying()["nowPlaying"]["entry"] == []
    frequent = c.getAlbumList2("frequent", size=10)["albumList2"]["album"]
    assert frequent[0]["id"] == c.getSong(songs[2]["id"])["song"]["albumId"]


def test_play_queue_bookmarks_and_index_variants(sub):
    server, token, c = sub
    songs = c.search3("", songCount=10)["searchResult3"]["song"]
    ids = [s["id"] for s in songs]
    c.savePlayQueue(ids, current=ids[1], position=12000)
    queue = c.getPlayQueue()["playQueue"]
    assert [e["id"] for e in queue["entry"]] == ids and queue["current"] == ids[1] and queue["position"] == 12000
    r = rest(server, "savePlayQueueByIndex", id=ids[:2], currentIndex=1, position=500)
    assert body(r)["status"] == "ok"
    by_index = body(rest(server, "getPlayQueueByIndex"))["playQueueByIndex"]
    assert by_index["currentIndex"] == 1 and len(by_index["entry"]) == 2
    assert body(rest(server, "savePlayQueueByIndex", id=ids[:2], currentIndex=7))["error"]["code"] == 0

    c.createBookmark(ids[0], 30000, comment="chorus")
    marks = c.getBookmarks()["bookmarks"]["bookmark"]
    assert marks[0]["position"] == 30000 and marks[0]["entry"]["id"] == ids[0]
    c.deleteBookmark(ids[0])
    assert c.getBookmarks()["bookmarks"]["bookmark"] == []


def test_shares_and_their_public_page(sub):
    server, token, c = sub
    album = c.getAlbumList2("alphabeticalByName", size=10)["albumList2"]["album"][0]
    share = c.createShare(shids=[album["id"]], description="For you")["shares"]["share"][0]
    assert len(share["entry"]) == 2 and share["url"].startswith("http://127.0.0.1:")
    path = "/share/" + share["url"].split("/share/")[1]
    page = requests.get(server.url + path)
    assert page.status_code == 200 and "For you" in page.text and page.text.count("<audio") == 2
    audio = requests.get(server.url + path + "/0/audio", headers={"Range": "bytes=0-9"})
    assert audio.status_code == 206 and len(audio.content) == 10
    c.deleteShare(share["id"])
    assert requests.get(server.url + path).status_code == 404


def test_authentication_schemes_and_their_errors(sub):
    server, token, c = sub
    salt = "abc123"
    t = hashlib.md5((PASSWORD + salt).encode()).hexdigest()
    assert body(rest(server, "ping", creds={"u": "root", "t": t, "s": salt}))["status"] == "ok"
    assert body(rest(server, "ping", creds={"u": "root", "p": "enc:" + PASSWORD.encode().hex()}))["status"] == "ok"
    assert body(rest(server, "ping", creds={"u": "root", "t": "0" * 32, "s": salt}))["error"]["code"] == 40
    assert body(rest(server, "ping", creds={"u": "root", "p": "nope"}))["error"]["code"] == 40
    assert body(rest(server, "ping", creds={"u": "nobody", "p": "nope"}))["error"]["code"] == 40
    assert body(rest(server, "ping", creds={}))["error"]["code"] == 10
    assert body(rest(server, "ping", creds={"u": "root"}))["error"]["code"] == 10
    # The login password is not the Subsonic password.
    assert body(rest(server, "ping", creds={"u": "root", "p": "admin-password-1"}))["error"]["code"] == 40
    # OpenSubsonic apiKey: a Cadenza API token.
    assert body(rest(server, "ping", creds={"apiKey": token}))["status"] == "ok"
    assert body(rest(server, "tokenInfo", creds={"apiKey": token}))["tokenInfo"]["username"] == "root"
    assert body(rest(server, "ping", creds={"apiKey": token, "u": "root"}))["error"]["code"] == 43
    assert body(rest(server, "ping", creds={"apiKey": "cdz_wrong"}))["error"]["code"] == 44
    ext = body(rest(server, "getOpenSubsonicExtensions", creds={}))
    names = {e["name"]: e["versions"] for e in ext["openSubsonicExtensions"]}
    assert names["apiKeyAuthentication"] == [1] and "formPost" in names and "transcodeOffset" in names


def test_xml_json_jsonp_view_suffix_and_form_post(sub):
    server, token, c = sub
    r = requests.get(f"{server.url}/rest/ping.view", params={"u": "root", "p": PASSWORD, "v": "1.2.0", "c": "old"})
    assert r.headers["Content-Type"].startswith("application/xml")
    root = ET.fromstring(r.content)
    assert root.tag == NS + "subsonic-response" and root.get("status") == "ok" and root.get("version") == "1.16.1"
    assert root.get("openSubsonic") == "true" and root.get("type") == "cadenza" and root.get("serverVersion")
    album = c.getAlbumList2("alphabeticalByName", size=10)["albumList2"]["album"][1]   # Orbit: one song
    xml_album = ET.fromstring(rest(server, "getAlbum", fmt="xml", id=album["id"]).content).find(NS + "album")
    assert len(xml_album.findall(NS + "song")) == 1 and xml_album.get("songCount") == "1"
    j = body(rest(server, "getAlbum", id=album["id"]))["album"]
    assert isinstance(j["song"], list) and len(j["song"]) == 1     # arrays even with one element
    assert isinstance(j["songCount"], int) and isinstance(j["song"][0]["duration"], int)
    assert isinstance(j["song"][0]["isDir"], bool)
    p = rest(server, "ping", fmt="jsonp", callback="handle_1")
    assert p.text.startswith("handle_1(") and p.text.endswith(");")
    assert json.loads(p.text[len("handle_1("):-2])["subsonic-response"]["status"] == "ok"
    bad = rest(server, "ping", fmt="jsonp", callback="alert(1)//")
    assert body(bad)["error"]["code"] == 10
    form = requests.post(f"{server.url}/rest/getAlbum.view",
                         data={"u": "root", "p": PASSWORD, "v": "1.16.1", "c": "t", "f": "json", "id": album["id"]})
    assert body(form)["album"]["name"] == "Orbit"
    empty = body(rest(server, "getStarred2"))["starred2"]
    assert empty == {"artist": [], "album": [], "song": []}


HOSTILE = [
    ("getAlbum", {}, 10), ("getAlbum", {"id": "al-99999"}, 70), ("getAlbum", {"id": "tr-1"}, 70),
    ("getAlbum", {"id": "'; DROP TABLE albums; --"}, 70), ("getSong", {"id": "-5"}, 70),
    ("getArtist", {"id": "ar-0"}, 70), ("getMusicDirectory", {"id": "xyz"}, 70),
    ("getAlbumList2", {}, 10), ("getAlbumList2", {"type": "bogus"}, 0), ("getAlbumList2", {"type": "random", "size": "abc"}, 0),
    ("getAlbumList2", {"type": "random", "size": "100000"}, 0), ("getAlbumList2", {"type": "random", "offset": "-1"}, 0),
    ("getAlbumList2", {"type": "byGenre"}, 10), ("search3", {"query": "x", "songCount": "-3"}, 0),
    ("search3", {"query": "x", "songOffset": "nan"}, 0), ("getRandomSongs", {"size": "9" * 30}, 0),
    ("stream", {}, 10), ("stream", {"id": "tr-424242"}, 70), ("stream", {"id": "tr-1", "maxBitRate": "-1"}, 0),
    ("getCoverArt", {"id": "ca-777"}, 70), ("getCoverArt", {"id": "al-1", "size": "0"}, 0),
    ("star", {}, 10), ("star", {"id": "zz-1"}, 70), ("setRating", {"id": "tr-1"}, 10), ("setRating", {"id": "tr-1", "rating": "x"}, 0),
    ("scrobble", {"id": "tr-1", "time": "yesterday"}, 0), ("createPlaylist", {}, 10),
    ("updatePlaylist", {"playlistId": "pl-999"}, 70), ("getPlaylist", {"id": "pl-abc"}, 70),
    ("createBookmark", {"id": "tr-1"}, 10), ("getLyricsBySongId", {"id": "tr-9999"}, 70),
    ("createInternetRadioStation", {"streamUrl": "javascript:alert(1)", "name": "x"}, 0),
    ("getUser", {"username": "ghost"}, 70), ("getPodcasts", {}, 0), ("getVideos", {}, 0),
    ("jukeboxControl", {"action": "explode"}, 0), ("jukeboxControl", {}, 10), ("jukeboxControl", {"action": "setGain", "gain": "5"}, 0),
    ("jukeboxControl", {"action": "setGain", "gain": "nan"}, 0), ("jukeboxControl", {"action": "skip", "index": "-5"}, 0),
    ("jukeboxControl", {"action": "remove", "index": "x"}, 0), ("noSuchMethod", {}, 0), ("getTopSongs", {}, 10),
]


@pytest.mark.parametrize("method,params,code", HOSTILE)
def test_hostile_input_gets_the_error_envelope(sub, method, params, code):
    server, token, c = sub
    for fmt in ("json", "xml"):
        r = rest(server, method, fmt=fmt, **params)
        assert r.status_code == 200, (method, params, r.status_code)
        if fmt == "json":
            envelope = body(r)
            assert envelope["status"] == "failed" and envelope["error"]["code"] == code, (method, params, envelope)
        else:
            error = ET.fromstring(r.content).find(NS + "error")
            assert error is not None and error.get("code") == str(code)


def test_transcoding_offset_and_estimated_length(sub):
    server, token, c = sub
    song = next(s for s in c.search3("lant")["searchResult3"]["song"])
    r = rest(server, "stream", id=song["id"], format="mp3", maxBitRate="64", timeOffset="1")
    assert r.status_code == 200 and r.headers["Content-Type"] == "audio/mpeg"
    assert abs(duration(r.content) - 2.0) < 0.3
    est = rest(server, "stream", id=song["id"], format="mp3", maxBitRate="64", estimateContentLength="true")
    # the declared length is the rate's worth plus framing headroom, and the whole song fits in it
    assert int(est.headers["Content-Length"]) == len(est.content) == int(3 * 64000 / 8 * 1.03) + 4096
    whole = rest(server, "stream", id=song["id"], format="mp3", maxBitRate="64").content
    assert len(whole) <= len(est.content) and est.content.startswith(whole)
    for fmt, rate in [("mp3", "16"), ("aac", "32"), ("opus", "32"), ("opus", "128")]:
        est = rest(server, "stream", id=song["id"], format=fmt, maxBitRate=rate, estimateContentLength="true")
        whole = rest(server, "stream", id=song["id"], format=fmt, maxBitRate=rate).content
        assert int(est.headers["Content-Length"]) == len(est.content) >= len(whole) and est.content.startswith(whole), (fmt, rate)
    raw = rest(server, "stream", id=song["id"], timeOffset="0")
    assert raw.headers["Content-Type"] == "audio/flac"


def transcode_decision(server, song_id, client_info, fmt="json"):
    query = {"v": "1.16.1", "c": "tests", "f": fmt, "u": "root", "p": PASSWORD, "mediaId": song_id, "mediaType": "song"}
    return requests.post(f"{server.url}/rest/getTranscodeDecision", params=query, json=client_info)


MP3_ONLY = {"name": "tests", "platform": "linux", "maxAudioBitrate": 320000, "maxTranscodingAudioBitrate": 96000,
            "directPlayProfiles": [{"containers": ["mp3"], "audioCodecs": ["mp3"], "protocols": ["http"], "maxAudioChannels": 2}],
            "transcodingProfiles": [{"container": "mp3", "audioCodec": "mp3", "protocol": "http", "maxAudioChannels": 2}]}


def test_opensubsonic_transcoding_decides_and_streams(sub):
    server, token, c = sub
    extensions = {e["name"]: e["versions"] for e in body(rest(server, "getOpenSubsonicExtensions"))["openSubsonicExtensions"]}
    assert extensions.get("transcoding") == [1]
    mp3 = next(s for s in c.search3("night")["searchResult3"]["song"])
    flac = next(s for s in c.search3("lant")["searchResult3"]["song"])

    direct = body(transcode_decision(server, mp3["id"], MP3_ONLY))["transcodeDecision"]
    assert direct["canDirectPlay"] is True and direct["sourceStream"]["codec"] == "mp3" and "transcodeStream" not in direct
    raw = rest(server, "getTranscodeStream", mediaId=mp3["id"], mediaType="song", transcodeParams=direct["transcodeParams"])
    assert raw.status_code == 200 and raw.headers["Content-Type"] == "audio/mpeg" and abs(duration(raw.content) - 4.0) < 0.3

    decided = body(transcode_decision(server, flac["id"], MP3_ONLY))["transcodeDecision"]
    assert decided["canDirectPlay"] is False and decided["canTranscode"] is True
    assert "ContainerNotSupported" in decided["transcodeReason"]
    assert decided["sourceStream"]["container"] == "flac"
    assert decided["transcodeStream"]["codec"] == "mp3" and decided["transcodeStream"]["audioBitrate"] == 96000
    stream = rest(server, "getTranscodeStream", mediaId=flac["id"], mediaType="song", transcodeParams=decided["transcodeParams"], offset="1")
    assert stream.status_code == 200 and stream.headers["Content-Type"] == "audio/mpeg"
    assert abs(duration(stream.content) - 2.0) < 0.3

    # A client that plays nothing Cadenza can send gets neither, with a reason.
    nothing = {"directPlayProfiles": [{"containers": ["mka"], "audioCodecs": ["dts"]}],
               "transcodingProfiles": [{"container": "ts", "audioCodec": "ac3", "protocol": "hls"}]}
    refused = body(transcode_decision(server, flac["id"], nothing))["transcodeDecision"]
    assert refused["canDirectPlay"] is False and refused["canTranscode"] is False and refused["errorReason"]

    # The decision's parameters are sealed: tampered, or used for another song, they are refused.
    tampered = decided["transcodeParams"][:-4] + ("AAAA" if not decided["transcodeParams"].endswith("AAAA") else "BBBB")
    assert body(rest(server, "getTranscodeStream", mediaId=flac["id"], mediaType="song", transcodeParams=tampered))["error"]["code"] == 70
    assert body(rest(server, "getTranscodeStream", mediaId=mp3["id"], mediaType="song",
                     transcodeParams=decided["transcodeParams"]))["error"]["code"] == 70
    # XML renders the same decision, reasons as elements.
    xml = ET.fromstring(transcode_decision(server, flac["id"], MP3_ONLY, fmt="xml").content).find(NS + "transcodeDecision")
    assert xml.get("canTranscode") == "true" and xml.find(NS + "transcodeStream").get("codec") == "mp3"
    assert body(transcode_decision(server, "tr-999999", MP3_ONLY))["error"]["code"] == 70
    query = {"v": "1.16.1", "c": "tests", "f": "json", "u": "root", "p": PASSWORD, "mediaId": flac["id"], "mediaType": "song"}
    broken = requests.post(f"{server.url}/rest/getTranscodeDecision", params=query, data=b"{not json",
                           headers={"Content-Type": "application/json"})
    assert broken.status_code == 200 and body(broken)["error"]["code"] == 0


def test_private_libraries_stay_private_over_subsonic(sub, tmp_path):
    from media import make_audio
    server, token, c = sub
    requests.post(server.url + "/api/v1/users", json={"username": "uma", "password": "password-u"}, headers=auth(token))
    uma = token_for(server, "uma", "password-u")
    song = make_audio(str(tmp_path / "p.ogg"), seconds=2, title="Private Song", artist="Uma", album="Secret")
    requests.post(server.url + "/api/v1/uploads", headers=auth(uma), files=[("f", ("p.ogg", open(song, "rb").read(), "audio/ogg"))])
    from conftest import wait_for
    assert wait_for(lambda: requests.get(server.url + "/api/v1/uploads", headers=auth(uma)).json()["items"][0]["status"] == "imported")
    track = requests.get(server.url + "/api/v1/tracks?sort=recent", headers=auth(uma)).json()["items"][0]
    requests.post(server.url + "/api/v1/users", json={"username": "vic", "password": "password-v"}, headers=auth(token))
    vic = token_for(server, "vic", "password-v")
    requests.put(server.url + "/api/v1/me/subsonic-password", json={"password": "vic-sub-pw", "currentPassword": "password-v"}, headers=auth(vic))
    creds = {"u": "vic", "p": "vic-sub-pw"}
    sid = "tr-" + track["id"]
    assert body(rest(server, "getSong", creds=creds, id=sid))["error"]["code"] == 70
    assert body(rest(server, "stream", creds=creds, id=sid))["error"]["code"] == 70
    every = body(rest(server, "search3", creds=creds, query="", songCount=500))["searchResult3"]["song"]
    assert "Private Song" not in [s["title"] for s in every]
    # Searches with words come from an in-memory index built per set of visible libraries.
    found = body(rest(server, "search3", creds=creds, query="private"))["searchResult3"]
    assert found.get("song", []) == [] and found.get("album", []) == [] and found.get("artist", []) == []
    requests.put(server.url + "/api/v1/me/subsonic-password", json={"password": "uma-sub-pw", "currentPassword": "password-u"}, headers=auth(uma))
    mine = body(rest(server, "search3", creds={"u": "uma", "p": "uma-sub-pw"}, query="private"))["searchResult3"]
    assert [s["title"] for s in mine["song"]] == ["Private Song"]
    albums = body(rest(server, "getAlbumList2", creds=creds, type="random", size=500))["albumList2"]["album"]
    assert "Secret" not in [a["name"] for a in albums]
    assert body(rest(server, "star", creds=creds, id=sid))["error"]["code"] == 70


def test_the_artist_index_follows_the_library(sub, music):
    from conftest import wait_for
    from media import make_audio
    server, token, c = sub
    names = lambda: sorted(a["name"] for ix in c.getArtists()["artists"]["index"] for a in ix["artist"])
    genres = lambda: sorted(g["value"] for g in c.getGenres()["genres"]["genre"])
    assert names() == ["Kaloven", "Milo"] and genres() == ["Jazz", "Rock"]
    make_audio(str(music / "Zed/Late/01.mp3"), seconds=1, title="New One", artist="Zed", album_artist="Zed", album="Late", genre="Folk")
    requests.post(server.url + "/api/v1/libraries/1/scan", headers=auth(token), json={})
    assert wait_for(lambda: names() == ["Kaloven", "Milo", "Zed"])
    assert genres() == ["Folk", "Jazz", "Rock"]
    # The search index, the album index and cached albums follow the catalog version too.
    found = c.search3("new one")["searchResult3"]
    assert [s["title"] for s in found["song"]] == ["New One"]
    assert "Late" in [a["name"] for a in c.getAlbumList2("random", size=500)["albumList2"]["album"]]
    glass = next(a for a in c.getAlbumList2("alphabeticalByName", size=10)["albumList2"]["album"] if a["name"] == "Glass Echo")
    assert c.getAlbum(glass["id"])["album"]["songCount"] == 2
    make_audio(str(music / "Kaloven/Glass Echo/03.mp3"), seconds=1, title="Third Light", artist="Kaloven", album_artist="Kaloven",
               album="Glass Echo", track="3", date="2004", genre="Rock")
    requests.post(server.url + "/api/v1/libraries/1/scan", headers=auth(token), json={})
    assert wait_for(lambda: c.getAlbum(glass["id"])["album"]["songCount"] == 3)
    assert [s["title"] for s in c.getAlbum(glass["id"])["album"]["song"]] == ["Night River", "Paper Static", "Third Light"]
    # A retag that empties an album: the album is pruned and leaves every cached list.
    make_audio(str(music / "Zed/Late/01.mp3"), seconds=2, title="New One", artist="Zed", album_artist="Zed", album="Later", genre="Folk")
    requests.post(server.url + "/api/v1/libraries/1/scan", headers=auth(token), json={})
    albums = lambda: sorted(a["name"] for a in c.getAlbumList2("random", size=500)["albumList2"]["album"])
    assert wait_for(lambda: albums() == ["Glass Echo", "Later", "Orbit"])
    assert [a["name"] for a in c.search3("late")["searchResult3"]["album"]] == ["Later"]


def test_search_with_words_matches_the_database_search(sub, music):
    """Word searches are ranked (exact, starts with, a word starts with, inside; catalog order among
    equals); narrowed to the one library that holds everything, a search gives the same items in
    the same order, page by page."""
    from conftest import wait_for
    from media import make_audio
    server, token, c = sub
    for i, title in enumerate(["Night Train", "The Night Owl", "Midnight", "Nightfall", "Knight Errant"]):
        make_audio(str(music / f"Night Band {i}/Night Album {i}/01.mp3"), seconds=1, title=title, artist=f"Night Band {i}",
                   album_artist=f"Night Band {i}", album=f"Night Album {i}")
    requests.post(server.url + "/api/v1/libraries/1/scan", headers=auth(token), json={})
    assert wait_for(lambda: len(c.search3("", songCount=500)["searchResult3"]["song"]) == 8)
    folder = c.getMusicFolders()["musicFolders"]["musicFolder"][0]["id"]
    for query in ["night", "NIGHT", "the night", "igh", "zzz", "50%_"]:
        for offset in (0, 2):
            paging = {"songCount": 3, "songOffset": offset, "albumCount": 2, "albumOffset": offset, "artistCount": 2, "artistOffset": offset}
            indexed = body(rest(server, "search3", query=query, **paging))["searchResult3"]
            in_sql = body(rest(server, "search3", query=query, musicFolderId=folder, **paging))["searchResult3"]
            for kind in ("artist", "album", "song"):
                assert [x["id"] for x in indexed.get(kind, [])] == [x["id"] for x in in_sql.get(kind, [])], (query, offset, kind)
    assert [s["title"] for s in c.search3("night", songCount=10)["searchResult3"]["song"]] == \
        ["Night River", "Night Train", "Nightfall", "The Night Owl", "Knight Errant", "Midnight"]
    assert [a["name"] for a in c.search3("the night band 3")["searchResult3"].get("artist", [])] == ["Night Band 3"]


def test_avatar_is_a_png_every_client_decodes(sub):
    import subprocess
    import tempfile
    server, token, c = sub

    def probe(data):
        with tempfile.NamedTemporaryFile(suffix=".png") as f:
            f.write(data)
            f.flush()
            return subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0", f.name],
                                  capture_output=True, text=True, check=True).stdout.strip()

    r = rest(server, "getAvatar", username="root")
    assert r.status_code == 200 and r.headers["Content-Type"] == "image/png"
    assert probe(r.content) == "png,120,120"
    assert rest(server, "getAvatar", username="ROOT").content == r.content   # usernames are case-insensitive
    other = requests.post(server.url + "/api/v1/users", json={"username": "avatar-friend", "password": "password-1"}, headers=auth(token))
    assert other.status_code == 201, other.text
    assert rest(server, "getAvatar", username="avatar-friend").content != r.content


def test_jukebox_control_drives_the_users_party_room(sub):
    """DSub's and Ultrasonic's jukebox mode, through py-sonic: the user's own room, made on first
    use (a stream-mode room); its player plays what the remote queues."""
    server, token, c = sub
    status = c.jukeboxControl("status")["jukeboxStatus"]
    assert status["currentIndex"] == -1 and status["playing"] is False
    rooms = requests.get(server.url + "/api/v1/rooms", headers=auth(token)).json()
    assert len(rooms) == 1
    base = server.url + f"/api/v1/rooms/{rooms[0]['slug']}"
    # Made to play on its own stream (any player, no page open); this test drives the speaker
    # page's side by hand, so the host switches it (the stream has its test in test_jukebox.py).
    room = requests.get(base, headers=auth(token)).json()
    assert room["settings"]["playback"] == "stream" and room["streamUrl"].endswith("/stream.mp3?code=" + room["joinCode"])
    assert requests.patch(base, headers=auth(token), json={"playback": "speaker"}).json()["settings"]["playback"] == "speaker"
    songs = c.search3("")["searchResult3"]["song"]
    ids = [s["id"] for s in songs[:3]]
    c.jukeboxControl("add", sids=ids)
    playlist = c.jukeboxControl("get")["jukeboxPlaylist"]
    assert [e["id"] for e in playlist["entry"]] == ids and playlist["currentIndex"] == -1
    # The speaker starts the first; the remote sees it playing, pauses, resumes and skips it.
    first = requests.get(base + "/player/next", headers=auth(token)).json()["entryId"]
    assert requests.post(base + "/player/started", headers=auth(token), json={"entryId": first}).status_code == 200
    status = c.jukeboxControl("status")["jukeboxStatus"]
    assert status["currentIndex"] == 0 and status["playing"] is True
    assert c.jukeboxControl("stop")["jukeboxStatus"]["playing"] is False
    assert c.jukeboxControl("start")["jukeboxStatus"]["playing"] is True
    assert c.jukeboxControl("skip")["jukeboxStatus"]["currentIndex"] == -1
    assert [e["id"] for e in c.jukeboxControl("get")["jukeboxPlaylist"]["entry"]] == ids[1:]
    # Skipping to an index (DSub's tap on a song): it moves to the top, the speaker plays it next.
    c.jukeboxControl("skip", index=1)
    assert [e["id"] for e in c.jukeboxControl("get")["jukeboxPlaylist"]["entry"]] == [ids[2], ids[1]]
    assert "tr-" + requests.get(base + "/player/next", headers=auth(token)).json()["track"]["id"] == ids[2]
    assert body(rest(server, "jukeboxControl", action="skip", index="7"))["status"] == "failed"
    c.jukeboxControl("remove", index=0)
    assert [e["id"] for e in c.jukeboxControl("get")["jukeboxPlaylist"]["entry"]] == [ids[1]]
    # The volume the speaker page plays at.
    assert c.jukeboxControl("setGain", gain=0.5)["jukeboxStatus"]["gain"] == 0.5
    assert requests.get(base, headers=auth(token)).json()["settings"]["gain"] == 0.5
    c.jukeboxControl("clear")
    assert "entry" not in c.jukeboxControl("get")["jukeboxPlaylist"] or not c.jukeboxControl("get")["jukeboxPlaylist"]["entry"]

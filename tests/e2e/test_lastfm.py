"""The legacy scrobbling protocols as clients speak them: Last.fm's 2.0 web service (signed the way
pylast signs; pylast itself insists on HTTPS) and AudioScrobbler 1.2. What they store is read back
over the ListenBrainz API."""
import hashlib
import re
import time
import xml.etree.ElementTree as ET
from urllib.parse import urlparse

import pytest
import requests

from conftest import ADMIN_PASSWORD, admin_token, auth

OPEN = {"CADENZA_LISTENS_RATE_LIMIT": 1000000, "CADENZA_LISTENS_RATE_WINDOW": 60}
APP_PASSWORD = "app-pass-1"
UNKNOWN_KEY = "e2e0000000000000000000000000000a"


def md5(text):
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def signature(params, secret):
    """Last.fm's api_sig, as pylast computes it: name+value of every parameter sorted by name
    (format, callback and api_sig left out), then the shared secret, md5 over UTF-8."""
    text = "".join(name + str(params[name]) for name in sorted(params) if name not in ("format", "callback", "api_sig"))
    return md5(text + secret)


def call(server, method, params=None, *, key=UNKNOWN_KEY, secret=None, query=None, fmt=None, get=False):
    body = {"method": method, "api_key": key, **{k: str(v) for k, v in (params or {}).items()}}
    if key is None:
        del body["api_key"]
    if secret is not None:
        body["api_sig"] = signature(body | (query or {}), secret)
    if fmt:
        body["format"] = fmt
    if get:
        r = requests.get(server.url + "/2.0/", params=body | (query or {}))
    else:
        r = requests.post(server.url + "/2.0/", data=body, params=query)
    assert r.status_code == 200, (method, r.status_code, r.text)
    return r


def ok(r):
    root = ET.fromstring(r.content)
    assert root.tag == "lfm" and root.get("status") == "ok", r.text
    return root


def failed(r):
    root = ET.fromstring(r.content)
    assert root.tag == "lfm" and root.get("status") == "failed", r.text
    error = root.find("error")
    return int(error.get("code")), error.text.strip()


def lb_read(server, token, path, **params):
    r = requests.get(server.url + path, params=params, headers={"Authorization": f"Token {token}"})
    assert r.status_code == 200, r.text
    return r.json()


def lb_listens(server, token):
    return lb_read(server, token, "/1/user/root/listens", count=1000)["payload"]["listens"]


@pytest.fixture
def fm(deployment):
    server = deployment.serve(**OPEN)
    token = admin_token(deployment, server)
    r = requests.put(server.url + "/api/v1/me/subsonic-password", json={"password": APP_PASSWORD, "currentPassword": ADMIN_PASSWORD}, headers=auth(token))
    assert r.status_code == 200
    return server, token


def mobile_session(server, username="root", password=APP_PASSWORD):
    root = ok(call(server, "auth.getMobileSession", {"username": username, "authToken": md5(username + md5(password))}))
    return root.find("session/key").text


def scrobble_params(plays):
    params = {}
    for i, (ts, artist, track, album) in enumerate(plays):
        params |= {f"artist[{i}]": artist, f"track[{i}]": track, f"timestamp[{i}]": ts, f"album[{i}]": album,
                   f"duration[{i}]": 200}
    return params


# --- Last.fm 2.0: sessions ------------------------------------------------------------------------

def test_mobile_session_by_auth_token_and_by_password(fm):
    server, token = fm
    session = ok(call(server, "auth.getMobileSession", {"username": "root", "authToken": md5("root" + md5(APP_PASSWORD))})).find("session")
    assert session.find("name").text == "root" and session.find("subscriber").text == "0"
    assert re.fullmatch(r"[0-9a-f]{32}", session.find("key").text)
    for password in (APP_PASSWORD, ADMIN_PASSWORD):
        key = ok(call(server, "auth.getMobileSession", {"username": "root", "password": password})).find("session/key").text
        assert re.fullmatch(r"[0-9a-f]{32}", key)
    as_json = call(server, "auth.getMobileSession", {"username": "root", "password": APP_PASSWORD}, fmt="json").json()
    assert as_json["session"]["name"] == "root" and re.fullmatch(r"[0-9a-f]{32}", as_json["session"]["key"])


def test_mobile_session_refuses_wrong_credentials(fm):
    server, token = fm
    attempts = [{"username": "root", "authToken": md5("root" + md5("wrong"))},
                {"username": "root", "password": "wrong"},
                {"username": "nobody", "authToken": md5("nobody" + md5(APP_PASSWORD))},
                {"username": "root", "authToken": md5("root" + md5(ADMIN_PASSWORD)) + "0"}]
    for params in attempts:
        assert failed(call(server, "auth.getMobileSession", params))[0] == 4, params


def test_desktop_tokens_work_once_the_user_approves_them(fm):
    server, token = fm
    auth_token = ok(call(server, "auth.getToken")).find("token").text
    assert auth_token
    assert failed(call(server, "auth.getSession", {"token": auth_token}))[0] == 14
    assert requests.post(server.url + "/api/v1/lastfm/approve", json={"token": auth_token}).status_code == 401
    r = requests.post(server.url + "/api/v1/lastfm/approve", json={"token": auth_token}, headers=auth(token))
    assert r.status_code in (200, 204), r.text
    session = ok(call(server, "auth.getSession", {"token": auth_token})).find("session")
    assert session.find("name").text == "root" and re.fullmatch(r"[0-9a-f]{32}", session.find("key").text)
    sk = session.find("key").text
    assert ok(call(server, "track.updateNowPlaying", {"sk": sk, "artist": "A", "track": "T"})).find("nowplaying") is not None


# --- Last.fm 2.0: scrobbling ----------------------------------------------------------------------

def test_scrobble_batch_duplicates_and_the_limit_of_50(fm):
    server, token = fm
    sk = mobile_session(server)
    now = int(time.time())
    plays = [(now - 600, "Artist A", "Song 1", "Album A"), (now - 400, "Artist A", "Song 2", "Album A"),
             (now - 200, "Artist B", "Song 3", "Album B")]
    root = ok(call(server, "track.scrobble", scrobble_params(plays) | {"sk": sk}))
    scrobbles = root.find("scrobbles")
    assert (scrobbles.get("accepted"), scrobbles.get("ignored")) == ("3", "0")
    assert [(s.find("track").text, s.find("artist").text, s.find("timestamp").text) for s in scrobbles.findall("scrobble")] == \
           [(t, a, str(ts)) for ts, a, t, _ in plays]
    stored = lb_listens(server, token)
    assert sorted((l["listened_at"], l["track_metadata"]["track_name"], l["track_metadata"]["release_name"]) for l in stored) == \
           sorted((ts, t, r) for ts, _, t, r in plays)

    again = ok(call(server, "track.scrobble", scrobble_params([plays[0], (now - 100, "Artist C", "Song 4", "Album C")]) | {"sk": sk}))
    scrobbles = again.find("scrobbles")
    assert (scrobbles.get("accepted"), scrobbles.get("ignored")) == ("1", "1")
    assert len(scrobbles.findall("scrobble")) == 2
    assert lb_read(server, token, "/1/user/root/listen-count")["payload"]["count"] == 4

    too_many = [(now - 10000 - i * 300, "Artist D", f"Song {i}", "Album D") for i in range(51)]
    assert failed(call(server, "track.scrobble", scrobble_params(too_many) | {"sk": sk}))[0] == 6
    assert lb_read(server, token, "/1/user/root/listen-count")["payload"]["count"] == 4
    fifty = ok(call(server, "track.scrobble", scrobble_params(too_many[:50]) | {"sk": sk})).find("scrobbles")
    assert fifty.get("accepted") == "50"


def test_a_single_scrobble_without_an_index(fm):
    server, token = fm
    sk = mobile_session(server)
    ts = int(time.time()) - 300
    root = ok(call(server, "track.scrobble", {"sk": sk, "artist": "Solo", "track": "Alone", "timestamp": ts, "album": "One"}))
    assert root.find("scrobbles").get("accepted") == "1"
    [listen] = lb_listens(server, token)
    assert (listen["listened_at"], listen["track_metadata"]["artist_name"], listen["track_metadata"]["track_name"]) == (ts, "Solo", "Alone")


def test_now_playing_shows_up_over_listenbrainz(fm):
    server, token = fm
    sk = mobile_session(server)
    root = ok(call(server, "track.updateNowPlaying", {"sk": sk, "artist": "Artist A", "track": "Song A", "album": "Album A",
                                                      "duration": 240}))
    playing = root.find("nowplaying")
    assert playing.find("track").text == "Song A" and playing.find("artist").text == "Artist A"
    now = lb_read(server, token, "/1/user/root/playing-now")["payload"]
    assert now["count"] == 1
    meta = now["listens"][0]["track_metadata"]
    assert (meta["artist_name"], meta["track_name"], meta["release_name"]) == ("Artist A", "Song A", "Album A")


def test_love_and_unlove_become_feedback(fm):
    server, token = fm
    sk = mobile_session(server)
    ok(call(server, "track.love", {"sk": sk, "artist": "Artist A", "track": "Song A"}))
    loved = lb_read(server, token, "/1/feedback/user/root/get-feedback", score=1)
    assert loved["total_count"] == 1 and loved["feedback"][0]["score"] == 1
    assert loved["feedback"][0].get("recording_msid") or loved["feedback"][0].get("recording_mbid")
    ok(call(server, "track.unlove", {"sk": sk, "artist": "Artist A", "track": "Song A"}))
    assert lb_read(server, token, "/1/feedback/user/root/get-feedback")["total_count"] == 0


def test_recent_tracks_and_play_count(fm):
    server, token = fm
    sk = mobile_session(server)
    now = int(time.time())
    plays = [(now - 900, "Artist A", "Oldest", "Album"), (now - 600, "Artist A", "Middle", "Album"),
             (now - 300, "Artist B", "Newest", "Album")]
    ok(call(server, "track.scrobble", scrobble_params(plays) | {"sk": sk}))
    user = ok(call(server, "user.getInfo", {"sk": sk, "user": "root"})).find("user")
    assert user.find("name").text == "root" and user.find("playcount").text == "3"

    first = ok(call(server, "user.getRecentTracks", {"sk": sk, "user": "root", "limit": 2, "page": 1})).find("recenttracks")
    assert first.get("user") == "root" and first.get("page") == "1" and first.get("total") == "3"
    tracks = [t for t in first.findall("track") if t.get("nowplaying") != "true"]
    assert [(t.find("name").text, t.find("artist").text) for t in tracks] == [("Newest", "Artist B"), ("Middle", "Artist A")]
    assert tracks[0].find("date").get("uts") == str(now - 300)
    second = ok(call(server, "user.getRecentTracks", {"sk": sk, "user": "root", "limit": 2, "page": 2})).find("recenttracks")
    assert [t.find("name").text for t in second.findall("track") if t.get("nowplaying") != "true"] == ["Oldest"]
    by_get = ok(call(server, "user.getInfo", {"sk": sk, "user": "root"}, get=True))
    assert by_get.find("user/playcount").text == "3"


# --- Last.fm 2.0: keys and signatures -------------------------------------------------------------

def test_issued_keys_require_a_valid_signature(fm):
    server, token = fm
    r = requests.post(server.url + "/api/v1/me/lastfm-keys", json={"name": "my player"}, headers=auth(token))
    assert r.status_code == 201, r.text
    issued = r.json()
    assert issued["name"] == "my player" and issued["apiKey"] and issued["secret"]
    listed = requests.get(server.url + "/api/v1/me/lastfm-keys", headers=auth(token)).json()
    assert [(k["id"], k["apiKey"]) for k in listed] == [(issued["id"], issued["apiKey"])]
    assert "secret" not in listed[0]

    creds = {"username": "root", "authToken": md5("root" + md5(APP_PASSWORD))}
    key, secret = issued["apiKey"], issued["secret"]
    assert ok(call(server, "auth.getMobileSession", creds, key=key, secret=secret)).find("session/key").text
    # pylast's way: username in the query string, the rest in the form body, all of it signed.
    assert ok(call(server, "auth.getMobileSession", {"authToken": creds["authToken"]}, key=key, secret=secret,
                   query={"username": "root"})).find("session/key").text
    # format is not signed.
    assert call(server, "auth.getMobileSession", creds, key=key, secret=secret, fmt="json").json()["session"]["name"] == "root"
    assert failed(call(server, "auth.getMobileSession", creds, key=key, secret="not-the-secret")) == \
           (13, "Invalid method signature supplied")
    assert failed(call(server, "auth.getMobileSession", creds, key=key))[0] == 13
    sk = mobile_session(server)
    tampered = {"sk": sk, "artist": "A", "track": "T"}
    signed = tampered | {"method": "track.updateNowPlaying", "api_key": key}
    sig = signature(signed, secret)
    r = requests.post(server.url + "/2.0/", data=signed | {"api_sig": sig, "track": "Other"})
    assert failed(r)[0] == 13

    assert requests.delete(f"{server.url}/api/v1/me/lastfm-keys/{issued['id']}", headers=auth(token)).status_code in (200, 204)
    assert requests.get(server.url + "/api/v1/me/lastfm-keys", headers=auth(token)).json() == []
    # Once deleted it is just an unknown key, which this server accepts without checking signatures.
    assert ok(call(server, "auth.getMobileSession", creds, key=key, secret="not-the-secret")).find("session/key").text


def test_unknown_keys_are_accepted_by_default(fm):
    server, token = fm
    creds = {"username": "root", "authToken": md5("root" + md5(APP_PASSWORD))}
    assert ok(call(server, "auth.getMobileSession", creds, key="anykey")).find("session/key").text
    assert ok(call(server, "auth.getMobileSession", creds, key="anykey", secret="anysecret")).find("session/key").text


def test_unknown_keys_can_be_refused(deployment):
    server = deployment.serve(CADENZA_LASTFM_UNKNOWN_KEYS="reject", **OPEN)
    token = admin_token(deployment, server)
    requests.put(server.url + "/api/v1/me/subsonic-password", json={"password": APP_PASSWORD, "currentPassword": ADMIN_PASSWORD}, headers=auth(token))
    creds = {"username": "root", "authToken": md5("root" + md5(APP_PASSWORD))}
    assert failed(call(server, "auth.getMobileSession", creds, key="anykey", secret="anysecret")) == \
           (10, "Invalid API key - You must be granted a valid key by last.fm")
    issued = requests.post(server.url + "/api/v1/me/lastfm-keys", json={"name": "x"}, headers=auth(token)).json()
    assert ok(call(server, "auth.getMobileSession", creds, key=issued["apiKey"], secret=issued["secret"])).find("session/key").text


# --- Last.fm 2.0: error shapes --------------------------------------------------------------------

def test_errors_are_http_200_in_xml_or_json(fm):
    server, token = fm
    bad = {"sk": "0" * 32, "artist": "A", "track": "T", "timestamp": int(time.time())}
    assert failed(call(server, "track.scrobble", bad))[0] == 9
    as_json = call(server, "track.scrobble", bad, fmt="json")
    assert as_json.headers["Content-Type"].startswith("application/json")
    body = as_json.json()
    assert body["error"] == 9 and isinstance(body["message"], str) and body["message"]
    missing = {k: v for k, v in bad.items() if k != "sk"}
    assert failed(call(server, "track.updateNowPlaying", missing))[0] == 9
    assert call(server, "track.updateNowPlaying", missing, fmt="json").json()["error"] == 9
    assert lb_read(server, token, "/1/user/root/listen-count")["payload"]["count"] == 0


# --- AudioScrobbler 1.2 -----------------------------------------------------------------------------

def handshake(server, user="root", password=APP_PASSWORD, t=None, a=None):
    t = int(time.time()) if t is None else t
    a = md5(md5(password) + str(t)) if a is None else a
    r = requests.get(server.url + "/scrobbler/", params={"hs": "true", "p": "1.2", "c": "tst", "v": "1.0", "u": user, "t": t, "a": a})
    return r.text


def session(server):
    lines = handshake(server).split("\n")
    assert lines[0] == "OK" and len(lines) >= 4, lines
    return lines[1], lines[2], lines[3]


def test_audioscrobbler_handshake(fm):
    server, token = fm
    answer = handshake(server)
    assert answer.endswith("\n")
    status, sid, np_url, submit_url = answer.split("\n")[:4]
    assert status == "OK" and re.fullmatch(r"\S{8,}", sid)
    assert urlparse(np_url).path == "/scrobbler/np_1.2" and urlparse(submit_url).path == "/scrobbler/protocol_1.2"
    assert urlparse(np_url).port == server.port and urlparse(submit_url).port == server.port
    assert handshake(server, a="0" * 32) == "BADAUTH\n"
    assert handshake(server, password="wrong") == "BADAUTH\n"
    assert handshake(server, user="nobody") == "BADAUTH\n"
    assert handshake(server, t=int(time.time()) - 3 * 3600) == "BADTIME\n"
    assert handshake(server, t=int(time.time()) + 3 * 3600) == "BADTIME\n"


def test_audioscrobbler_now_playing_and_submission(fm):
    server, token = fm
    sid, np_url, submit_url = session(server)
    r = requests.post(np_url, data={"s": sid, "a": "Artist A", "t": "Song A", "b": "Album A", "l": "240", "n": "3", "m": ""})
    assert r.text == "OK\n"
    now = lb_read(server, token, "/1/user/root/playing-now")["payload"]
    assert now["count"] == 1 and now["listens"][0]["track_metadata"]["track_name"] == "Song A"

    ts = int(time.time()) - 600
    form = {"s": sid}
    for i, (artist, track) in enumerate([("Artist A", "Song A"), ("Artist B", "Song B")]):
        form |= {f"a[{i}]": artist, f"t[{i}]": track, f"i[{i}]": str(ts + i * 300), f"o[{i}]": "P", f"r[{i}]": "",
                 f"l[{i}]": "240", f"b[{i}]": f"Album {i}", f"n[{i}]": "1", f"m[{i}]": ""}
    assert requests.post(submit_url, data=form).text == "OK\n"
    stored = sorted((l["listened_at"], l["track_metadata"]["artist_name"], l["track_metadata"]["track_name"],
                     l["track_metadata"].get("release_name")) for l in lb_listens(server, token))
    assert stored == [(ts, "Artist A", "Song A", "Album 0"), (ts + 300, "Artist B", "Song B", "Album 1")]


def test_audioscrobbler_bad_sessions_and_malformed_submissions(fm):
    server, token = fm
    sid, np_url, submit_url = session(server)
    assert requests.post(np_url, data={"s": "nope", "a": "A", "t": "T", "b": "", "l": "", "n": "", "m": ""}).text == "BADSESSION\n"
    form = {"a[0]": "A", "t[0]": "T", "i[0]": str(int(time.time()) - 300), "o[0]": "P", "r[0]": "", "l[0]": "200",
            "b[0]": "", "n[0]": "", "m[0]": ""}
    assert requests.post(submit_url, data=form | {"s": "nope"}).text == "BADSESSION\n"
    assert requests.post(submit_url, data=form | {"s": sid, "i[0]": "yesterday"}).text.startswith("FAILED")
    assert lb_read(server, token, "/1/user/root/listen-count")["payload"]["count"] == 0
    assert requests.post(submit_url, data=form | {"s": sid}).text == "OK\n"
    assert lb_read(server, token, "/1/user/root/listen-count")["payload"]["count"] == 1

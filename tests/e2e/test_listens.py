"""Listens as ListenBrainz clients see them: liblistenbrainz (what scrobblers use) plus raw requests
for ListenBrainz's exact validation, limits and answers, then stats, privacy, the live feed, the
Subsonic bridge, and file import/export."""
import io
import json
import tempfile
import time
import uuid
import zipfile

import pytest
import requests
from liblistenbrainz import Listen, ListenBrainz

from conftest import ADMIN_PASSWORD, Deployment, SSEClient, admin_token, auth, token_for, wait_for

# Test servers get a limit no test reaches, except the one test about the limit.
OPEN = {"CADENZA_LISTENS_RATE_LIMIT": 1000000, "CADENZA_LISTENS_RATE_WINDOW": 60}
MBID = "0383dadf-2a4e-4d10-a46a-e9e041da8eb3"
TS = 1700000000
OLD = 1614569400   # Monday 2021-03-01 03:30 UTC, which is Sunday 22:30 in New York
RANGES = ["this_week", "this_month", "this_year", "week", "month", "quarter", "year", "half_yearly", "all_time"]


@pytest.fixture
def lb(deployment):
    server = deployment.serve(**OPEN)
    return server, admin_token(deployment, server)


def add_user(server, admin, name):
    r = requests.post(server.url + "/api/v1/users", json={"username": name, "password": f"password-{name}"}, headers=auth(admin))
    assert r.status_code == 201, r.text
    return token_for(server, name, f"password-{name}")


def lb_auth(token):
    return {"Authorization": f"Token {token}"} if token else {}


def song(ts=TS, track="Song", artist="Artist", release=None, **info):
    meta = {"track_name": track, "artist_name": artist}
    if release is not None:
        meta["release_name"] = release
    if info:
        meta["additional_info"] = info
    return {"track_metadata": meta} if ts is None else {"listened_at": ts, "track_metadata": meta}


def doc(listen_type, *listens):
    return {"listen_type": listen_type, "payload": list(listens)}


def submit(server, token, listen_type, *listens):
    # bytes: requests sends no Content-Type, as liblistenbrainz does.
    return requests.post(server.url + "/1/submit-listens", data=json.dumps(doc(listen_type, *listens)).encode(),
                         headers=lb_auth(token))


def submitted(server, token, listen_type, *listens):
    r = submit(server, token, listen_type, *listens)
    assert r.status_code == 200 and r.json() == {"status": "ok"}, r.text
    return r


def read(server, path, token=None, **params):
    return requests.get(server.url + path, params=params, headers=lb_auth(token))


def payload(server, path, token=None, **params):
    r = read(server, path, token, **params)
    assert r.status_code == 200, (path, r.status_code, r.text)
    return r.json()["payload"]


def listens(server, user, token, **params):
    return payload(server, f"/1/user/{user}/listens", token, **params)["listens"]


def listen_count(server, user, token):
    return payload(server, f"/1/user/{user}/listen-count", token)["count"]


def playing_now(server, user, token):
    return payload(server, f"/1/user/{user}/playing-now", token)


def stats(server, token, user, entity, **params):
    return payload(server, f"/1/stats/user/{user}/{entity}", token, **params)


def post(server, path, token, body):
    return requests.post(server.url + path, json=body, headers=lb_auth(token))


def settings(server, token, **changes):
    current = requests.get(server.url + "/api/v1/me/listen-settings", headers=auth(token))
    assert current.status_code == 200, current.text
    r = requests.put(server.url + "/api/v1/me/listen-settings", json=current.json() | changes, headers=auth(token))
    assert r.status_code == 200, r.text
    return r.json()


def key(listen):
    m = listen["track_metadata"]
    return listen["listened_at"], m["artist_name"], m["track_name"], m.get("release_name")


# --- liblistenbrainz ---------------------------------------------------------------------------

def test_liblistenbrainz_submits_and_reads_back(lb):
    server, token = lb
    client = ListenBrainz(api_base_url=server.url)
    client.set_auth_token(token)
    now = int(time.time())
    client.submit_playing_now(Listen(track_name="Song A", artist_name="Artist A", release_name="Album A"))
    playing = client.get_playing_now("root")
    assert (playing.track_name, playing.artist_name, playing.release_name) == ("Song A", "Artist A", "Album A")

    client.submit_single_listen(Listen(track_name="Song A", artist_name="Artist A", release_name="Album A",
                                       listened_at=now - 200, additional_info={"duration_ms": 200000}))
    client.submit_multiple_listens([Listen(track_name=f"Song {i}", artist_name="Artist B", listened_at=now - 1000 - i * 300)
                                    for i in range(3)])
    got = client.get_listens("root")
    assert [(l.track_name, l.listened_at) for l in got] == [("Song A", now - 200), ("Song 0", now - 1000),
                                                             ("Song 1", now - 1300), ("Song 2", now - 1600)]
    assert got[0].release_name == "Album A" and got[0].additional_info["duration_ms"] == 200000
    assert all(uuid.UUID(l.recording_msid) for l in got)
    assert [l.track_name for l in client.get_listens("root", max_ts=now - 1000)] == ["Song 1", "Song 2"]
    assert [l.track_name for l in client.get_listens("root", min_ts=now - 1300)] == ["Song A", "Song 0"]
    assert [l.track_name for l in client.get_listens("root", count=1)] == ["Song A"]
    assert client.get_user_listen_count("root") == 4

    artists = client.get_user_artists("root")["payload"]
    assert [(a["artist_name"], a["listen_count"]) for a in artists["artists"]] == [("Artist B", 3), ("Artist A", 1)]
    recordings = client.get_user_recordings("root")["payload"]["recordings"]
    assert len(recordings) == 4 and sum(r["listen_count"] for r in recordings) == 4
    releases = client.get_user_releases("root")["payload"]["releases"]
    assert [(r["release_name"], r["listen_count"]) for r in releases] == [("Album A", 1)]

    client.delete_listen(got[-1])
    assert client.get_user_listen_count("root") == 3
    assert [l.track_name for l in client.get_listens("root")] == ["Song A", "Song 0", "Song 1"]


def test_listens_are_readable_in_the_listenbrainz_shape(lb):
    server, token = lb
    submitted(server, token, "single", song(TS, "Song", "Artist", "Album", tracknumber=3))
    payload_ = payload(server, "/1/user/root/listens", token)
    assert payload_["count"] == 1 and payload_["user_id"] == "root"
    assert payload_["latest_listen_ts"] == TS and payload_["oldest_listen_ts"] == TS
    listen = payload_["listens"][0]
    assert listen["listened_at"] == TS and listen["user_name"] == "root"
    assert isinstance(listen["inserted_at"], int) and listen["inserted_at"] >= int(time.time()) - 120
    uuid.UUID(listen["recording_msid"])
    assert listen["track_metadata"]["release_name"] == "Album"
    assert listen["track_metadata"]["additional_info"]["tracknumber"] == 3
    assert listen["cadenza_track_id"] is None


def test_count_min_ts_and_max_ts(lb):
    server, token = lb
    submitted(server, token, "import", *[song(TS + i, f"Song {i}") for i in range(30)])
    assert len(listens(server, "root", token)) == 25
    assert len(listens(server, "root", token, count=1000)) == 30
    assert len(listens(server, "root", token, count=5000)) == 30
    assert read(server, "/1/user/root/listens", token, count=-1).status_code == 400
    between = listens(server, "root", token, min_ts=TS + 10, max_ts=TS + 15)
    assert [l["listened_at"] for l in between] == [TS + 14, TS + 13, TS + 12, TS + 11]
    assert read(server, "/1/user/nobody/listens", token).json() == {"code": 404, "error": "Cannot find user: nobody"}


# --- submit-listens validation, exactly as ListenBrainz ----------------------------------------

PAYLOAD_TOO_LARGE = "Payload too large. Payload cannot exceed 10240000 bytes"
LISTEN_TOO_LARGE = "JSON document is too large. Each listens may not be larger than 10240 bytes."
MORE_THAN_ONE = "JSON document contains more than listen for a single/playing_now. It should contain only one."
NO_LISTENED_AT = "JSON document must contain the key listened_at at the top level."
VALIDATION = [
    # (id, token, body, status, message, index of the offending listen whose keys join the body)
    ("1-no-header", None, lambda: doc("single", song()), 401, "You need to provide an Authorization header.", None),
    ("1-blank-token", "", lambda: doc("single", song()), 401, "Provided Authorization header is invalid.", None),
    ("1-unknown-token", "cdz_not-a-token", lambda: doc("single", song()), 401, "Invalid authorization token.", None),
    ("2-body-over-10240000-bytes", "ok",
     lambda: b'{"listen_type":"import","payload":[' + b" " * 10_300_000 + b"]}", 400, PAYLOAD_TOO_LARGE, None),
    ("3-not-json", "ok", lambda: b"listen_type=single&payload=x", 400, "Cannot parse JSON document: …", None),
    ("3-top-level-not-object", "ok", lambda: [song()], 400,
     "Invalid JSON document submitted. Top level of JSON document should be a json object.", None),
    ("4-no-listen-type", "ok", lambda: {"payload": [song()]}, 400, "Invalid JSON document submitted.", None),
    ("4-no-payload", "ok", lambda: {"listen_type": "single"}, 400, "Invalid JSON document submitted.", None),
    ("5-payload-not-list", "ok", lambda: {"listen_type": "single", "payload": song()}, 400,
     "The payload in the JSON document should be a list of listens.", None),
    ("5-payload-empty", "ok", lambda: doc("import"), 400, "JSON document does not contain any listens", None),
    ("5-over-1000-listens", "ok", lambda: doc("import", *[song(TS + i) for i in range(1001)]), 400,
     "Too many listens. You may not submit more than 1000 listens at once.", None),
    ("6-average-over-10240-bytes", "ok", lambda: doc("single", song(comment="x" * 11000)), 400, LISTEN_TOO_LARGE, None),
    ("7-unknown-listen-type", "ok", lambda: doc("scrobble", song()), 400, "JSON document requires a valid listen_type key.", None),
    ("7-two-singles", "ok", lambda: doc("single", song(TS), song(TS + 1)), 400, MORE_THAN_ONE, None),
    ("7-two-playing-now", "ok", lambda: doc("playing_now", song(None), song(None)), 400, MORE_THAN_ONE, None),
    ("8-no-listened-at", "ok", lambda: doc("single", song(None)), 400, NO_LISTENED_AT, 0),
    ("8-listened-at-not-int", "ok", lambda: doc("import", song(TS), song("yesterday")), 400,
     "JSON document must contain an int value for listened_at.", 1),
    ("8-listened-at-too-high", "ok", lambda: doc("single", song(int(time.time()) + 7200)), 400,
     "Value for key listened_at is too high.", 0),
    ("8-listened-at-too-low", "ok", lambda: doc("single", song(1033410599)), 400,
     "Value for key listened_at is too low. listened_at timestamp should be greater than 1033410600 (2002-10-01 00:00:00 UTC).", 0),
    ("9-no-track-metadata", "ok", lambda: doc("single", {"listened_at": TS}), 400,
     "JSON document must contain the key track_metadata at the top level.", 0),
    ("9-extra-top-level-key", "ok", lambda: doc("single", song() | {"user_name": "root"}), 400,
     "JSON document may only contain listened_at and track_metadata top level keys", 0),
    ("10-playing-now-with-listened-at", "ok", lambda: doc("playing_now", song(TS)), 400,
     "JSON document must not contain listened_at while submitting playing_now.", 0),
    ("10-playing-now-extra-key", "ok", lambda: doc("playing_now", song(None) | {"origin": "x"}), 400,
     "JSON document may only contain track_metadata as top level key when submitting playing_now.", 0),
    ("11-null-track-metadata", "ok", lambda: doc("single", {"listened_at": TS, "track_metadata": None}), 400,
     "JSON document may not have track_metadata with null value.", 0),
    ("12-no-track-name", "ok", lambda: doc("single", {"listened_at": TS, "track_metadata": {"artist_name": "A"}}), 400,
     "JSON document does not contain required field track_metadata.track_name.", 0),
    ("12-no-artist-name", "ok", lambda: doc("single", {"listened_at": TS, "track_metadata": {"track_name": "T"}}), 400,
     "JSON document does not contain required field track_metadata.artist_name.", 0),
    ("12-artist-name-not-string", "ok", lambda: doc("single", song(artist=["A", "B"])), 400,
     "track_metadata.artist_name must be a single string.", 0),
    ("12-track-name-blank", "ok", lambda: doc("single", song(track="   ")), 400,
     "…field track_metadata.track_name is empty.", 0),
    ("13-51-tags", "ok", lambda: doc("single", song(tags=[f"t{i}" for i in range(51)])), 400,
     "JSON document may not contain more than 50 items in track_metadata.additional_info.tags.", 0),
    ("13-tag-over-64-chars", "ok", lambda: doc("single", song(tags=["x" * 65])), 400,
     "JSON document may not contain track_metadata.additional_info.tags longer than 64 characters.", 0),
    ("14-both-durations", "ok", lambda: doc("single", song(duration=200, duration_ms=200000)), 400,
     "JSON document should not contain both duration and duration_ms.", 0),
    ("14-duration-negative", "ok", lambda: doc("single", song(duration=-5)), 400,
     "Value for duration is invalid, should be a positive integer.", 0),
    ("14-duration-ms-not-a-number", "ok", lambda: doc("single", song(duration_ms="long")), 400,
     "Value for duration_ms is invalid, should be a positive integer.", 0),
    ("14-duration-over-24-days", "ok", lambda: doc("single", song(duration=2073601)), 400,
     "Value for duration is too large, max permitted value is 2073600", 0),
    ("14-duration-ms-over-24-days", "ok", lambda: doc("single", song(duration_ms=2073600001)), 400,
     "Value for duration_ms is too large, max permitted value is 2073600000", 0),
    ("15-bad-recording-mbid", "ok", lambda: doc("single", song(recording_mbid="not-a-uuid")), 400,
     "recording_mbid MBID format invalid.", 0),
    ("15-bad-artist-mbids", "ok", lambda: doc("single", song(artist_mbids=[MBID, "nope"])), 400,
     "artist_mbids MBID format invalid.", 0),
    ("16-unicode-null", "ok", lambda: doc("single", song(comment="bad\u0000value")), 400,
     "bad\u0000value contains a unicode null", 0),
    # The checks run in the table's order: the first failing one answers.
    ("order-5-before-7", "ok", lambda: doc("scrobble"), 400, "JSON document does not contain any listens", None),
    ("order-6-before-7", "ok", lambda: doc("scrobble", song(comment="x" * 11000)), 400, LISTEN_TOO_LARGE, None),
    ("order-7-before-8", "ok", lambda: doc("single", song(None), song(None)), 400, MORE_THAN_ONE, None),
    ("order-8-before-9", "ok", lambda: doc("single", song(None) | {"extra": 1}), 400, NO_LISTENED_AT, 0),
    ("order-first-bad-listen-answers", "ok", lambda: doc("import", song(TS), song(TS + 1, artist=""), song(5)), 400,
     "…field track_metadata.artist_name is empty.", 1),
]


@pytest.fixture(scope="module")
def shared_server():
    """One server for the whole validation table: every case is rejected, so nothing accumulates."""
    with tempfile.TemporaryDirectory(prefix="cadenza-e2e-") as tmp:
        d = Deployment(tmp)
        try:
            server = d.serve(**OPEN)
            yield server, admin_token(d, server)
        finally:
            d.close()


@pytest.mark.parametrize("who,make_body,status,message,culprit",
                         [pytest.param(*case[1:], id=case[0]) for case in VALIDATION])
def test_submit_listens_validation_matches_listenbrainz(shared_server, who, make_body, status, message, culprit):
    server, token = shared_server
    before = listen_count(server, "root", token)
    body = make_body()
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Authorization": "Token " + {"ok": token}.get(who, who)} if who is not None else {}
    r = requests.post(server.url + "/1/submit-listens", data=raw, headers=headers)
    assert r.status_code == status, r.text[:500]
    answer = r.json()
    assert answer["code"] == status
    if message.startswith("…"):
        assert answer["error"].endswith(message[1:]), answer["error"]
    elif message.endswith("…"):
        assert answer["error"].startswith(message[:-1]), answer["error"]
    else:
        assert answer["error"] == message
    if culprit is not None:
        assert set(body["payload"][culprit]) <= set(answer), answer
    assert listen_count(server, "root", token) == before


def test_accepted_input_is_normalised_like_listenbrainz(lb):
    server, token = lb
    listen = {"listened_at": str(TS), "track_metadata": {
        "track_name": "  Song  ", "artist_name": " Artist ", "release_name": "   ",
        "additional_info": {"duration": "200.7", "release_mbid": "", "recording_mbid": None,
                            "artist_mbids": [None, "", MBID], "tags": ["x" * 64] * 50}}}
    r = requests.post(server.url + "/1/submit-listens", data=json.dumps(doc("single", listen)),
                      headers=lb_auth(token) | {"Content-Type": "text/plain"})
    assert r.status_code == 200 and r.json() == {"status": "ok"}, r.text
    got = listens(server, "root", token)[0]
    assert got["listened_at"] == TS
    meta = got["track_metadata"]
    assert (meta["track_name"], meta["artist_name"], meta.get("release_name")) == ("Song", "Artist", None)
    info = meta["additional_info"]
    assert info["duration"] == 200 and info["artist_mbids"] == [MBID]
    assert "release_mbid" not in info and "recording_mbid" not in info
    submitted(server, token, "single", song(1033410600, "Oldest allowed"))
    assert listen_count(server, "root", token) == 2


def test_a_batch_with_one_bad_listen_stores_nothing(lb):
    server, token = lb
    batch = [song(TS + i, f"Song {i}") for i in range(5)]
    bad = song(TS + 99, "Broken")
    del bad["track_metadata"]["artist_name"]
    r = submit(server, token, "import", *batch[:3], bad, *batch[3:])
    assert r.status_code == 400
    assert listen_count(server, "root", token) == 0 and listens(server, "root", token) == []
    submitted(server, token, "import", *batch)
    assert listen_count(server, "root", token) == 5


def test_the_same_play_resubmitted_with_other_metadata_is_stored_once(lb):
    server, token = lb
    submitted(server, token, "single", song(TS, "Song", "Artist", "Album A"))
    submitted(server, token, "single", song(TS, "Song", "Artist", "Album A"))
    submitted(server, token, "import", song(TS, "Song", "Artist", "Album B", duration=300),
              song(TS, "Song", "Artist", tracknumber=4))
    assert listen_count(server, "root", token) == 1
    assert listens(server, "root", token)[0]["track_metadata"]["release_name"] == "Album A"
    # Same second, another track: a second listen, not an error.
    submitted(server, token, "single", song(TS, "Other Song", "Artist"))
    assert listen_count(server, "root", token) == 2
    assert sorted(l["track_metadata"]["track_name"] for l in listens(server, "root", token)) == ["Other Song", "Song"]
    assert stats(server, token, "root", "artists")["artists"][0]["listen_count"] == 2


# --- playing now --------------------------------------------------------------------------------

def test_playing_now_expires_after_the_track_duration(lb):
    server, token = lb
    assert playing_now(server, "root", token)["count"] == 0
    submitted(server, token, "playing_now", song(None, "Short", "Artist", duration=2))
    now = playing_now(server, "root", token)
    assert now["count"] == 1 and now["playing_now"] is True and now["user_id"] == "root"
    entry = now["listens"][0]
    assert entry["playing_now"] is True and entry["user_name"] == "root"
    assert entry["track_metadata"]["track_name"] == "Short"
    time.sleep(3)
    assert wait_for(lambda: playing_now(server, "root", token)["count"] == 0, timeout=3)
    assert playing_now(server, "root", token)["listens"] == []


def test_playing_now_can_be_cleared(lb):
    server, token = lb
    submitted(server, token, "playing_now", song(None, "Long", "Artist", duration_ms=400000))
    assert playing_now(server, "root", token)["count"] == 1
    r = requests.post(server.url + "/1/playing-now/delete", data=b"", headers=lb_auth(token))
    assert r.status_code == 200 and r.json()["status"] == "ok", r.text
    assert playing_now(server, "root", token)["count"] == 0
    time.sleep(1)
    assert playing_now(server, "root", token)["count"] == 0


def test_clearing_playing_now_needs_a_token(lb):
    server, token = lb
    submitted(server, token, "playing_now", song(None, "Long", "Artist"))
    r = requests.post(server.url + "/1/playing-now/delete")
    assert r.status_code == 401 and r.json()["error"] == "You need to provide an Authorization header."
    assert playing_now(server, "root", token)["count"] == 1


# --- rate limit -----------------------------------------------------------------------------------

def test_rate_limit_headers_and_429(deployment):
    server = deployment.serve(CADENZA_LISTENS_RATE_LIMIT=5, CADENZA_LISTENS_RATE_WINDOW=3600)
    root = admin_token(deployment, server)
    ann = add_user(server, root, "ann")
    seen = [read(server, "/1/validate-token", root) for _ in range(6)]
    assert [r.status_code for r in seen] == [200] * 5 + [429]
    assert [int(r.headers["X-RateLimit-Remaining"]) for r in seen] == [4, 3, 2, 1, 0, 0]
    for r in seen:
        assert r.headers["X-RateLimit-Limit"] == "5"
        reset_in = int(r.headers["X-RateLimit-Reset-In"])
        assert 0 <= reset_in <= 3600
        assert abs(int(r.headers["X-RateLimit-Reset"]) - (time.time() + reset_in)) <= 3
    assert submit(server, root, "single", song()).status_code == 429
    # Limits are per token: another user is unaffected.
    other = read(server, "/1/validate-token", ann)
    assert other.status_code == 200 and other.headers["X-RateLimit-Remaining"] == "4"
    # Anonymous callers are counted per address, whatever the answer.
    anonymous = [read(server, "/1/user/root/listen-count") for _ in range(6)]
    assert all("X-RateLimit-Remaining" in r.headers for r in anonymous)
    assert anonymous[-1].status_code == 429 and all(r.status_code != 429 for r in anonymous[:5])


# --- privacy -------------------------------------------------------------------------------------

def test_listen_settings_defaults_and_validation(lb):
    server, token = lb
    current = requests.get(server.url + "/api/v1/me/listen-settings", headers=auth(token)).json()
    assert current["visibility"] == "instance" and current["timeZone"]
    changed = settings(server, token, timeZone="America/New_York", visibility="private")
    assert changed["timeZone"] == "America/New_York" and changed["visibility"] == "private"
    assert requests.get(server.url + "/api/v1/me/listen-settings", headers=auth(token)).json() == changed
    for bad in ({"timeZone": "Mars/Olympus_Mons"}, {"visibility": "friends"}):
        r = requests.put(server.url + "/api/v1/me/listen-settings", json=changed | bad, headers=auth(token))
        assert r.status_code in (400, 422) and r.json()["error"]["message"], bad
    assert requests.get(server.url + "/api/v1/me/listen-settings").status_code == 401


def test_visibility_decides_who_reads_listens(lb):
    server, root = lb
    ann, bob = add_user(server, root, "ann"), add_user(server, root, "bob")
    submitted(server, ann, "single", song(TS, "Secret Song"))
    hidden = {"code": 404, "error": "Cannot find user: ann"}

    # instance (default): signed-in users only
    assert read(server, "/1/user/ann/listens").status_code == 404
    assert read(server, "/1/user/ann/listens").json() == hidden
    assert len(listens(server, "ann", bob)) == 1

    settings(server, ann, visibility="private")
    r = read(server, "/1/user/ann/listens", bob)
    assert r.status_code == 404 and r.json() == hidden
    assert len(listens(server, "ann", ann)) == 1
    assert len(listens(server, "ann", root)) == 1

    settings(server, ann, visibility="public")
    assert len(listens(server, "ann", None)) == 1


def test_nobody_deletes_another_users_listen(lb):
    server, root = lb
    ann, bob = add_user(server, root, "ann"), add_user(server, root, "bob")
    submitted(server, ann, "single", song(TS, "Mine"))
    target = listens(server, "ann", ann)[0]
    post(server, "/1/delete-listen", bob, {"listened_at": target["listened_at"], "recording_msid": target["recording_msid"]})
    post(server, "/1/delete-listen", root, {"listened_at": target["listened_at"], "recording_msid": target["recording_msid"]})
    assert listen_count(server, "ann", ann) == 1
    assert [l["recording_msid"] for l in listens(server, "ann", ann)] == [target["recording_msid"]]
    r = post(server, "/1/delete-listen", None, {"listened_at": target["listened_at"], "recording_msid": target["recording_msid"]})
    assert r.status_code == 401
    assert listen_count(server, "ann", ann) == 1


def test_delete_listen_is_immediate_everywhere(lb):
    server, token = lb
    submitted(server, token, "import", song(TS, "X", "Alpha"), song(TS + 60, "X", "Alpha"), song(TS + 120, "Y", "Beta"))
    target = next(l for l in listens(server, "root", token) if l["listened_at"] == TS + 60)
    r = post(server, "/1/delete-listen", token, {"listened_at": target["listened_at"], "recording_msid": target["recording_msid"]})
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    assert listen_count(server, "root", token) == 2
    assert [l["listened_at"] for l in listens(server, "root", token)] == [TS + 120, TS]
    artists = stats(server, token, "root", "artists")["artists"]
    assert sorted((a["artist_name"], a["listen_count"]) for a in artists) == [("Alpha", 1), ("Beta", 1)]
    assert post(server, "/1/delete-listen", token, {"listened_at": TS, "recording_msid": "nope"}).status_code == 400


# --- stats ---------------------------------------------------------------------------------------

def test_stats_on_a_known_data_set(lb):
    server, token = lb
    now = int(time.time())
    plays = ([("A1", "Alpha", "Alpha LP")] * 4 + [("A2", "Alpha", "Alpha LP")] + [("B1", "Beta", "Beta EP")] * 3
             + [("G1", "Gamma", "Gamma LP")] * 2)
    recent = [song(now - 30 * (i + 1), *p) for i, p in enumerate(plays)]
    submitted(server, token, "import", *recent, song(OLD, "D1", "Delta", "Delta Demo"))

    artists = stats(server, token, "root", "artists")
    assert [(a["artist_name"], a["listen_count"]) for a in artists["artists"]] == [
        ("Alpha", 5), ("Beta", 3), ("Gamma", 2), ("Delta", 1)]
    assert artists["total_artist_count"] == 4 and artists["count"] == 4 and artists["offset"] == 0
    assert artists["range"] == "all_time" and artists["user_id"] == "root"
    assert {"from_ts", "to_ts", "last_updated"} <= set(artists)

    releases = stats(server, token, "root", "releases")
    assert [(r["release_name"], r["artist_name"], r["listen_count"]) for r in releases["releases"]] == [
        ("Alpha LP", "Alpha", 5), ("Beta EP", "Beta", 3), ("Gamma LP", "Gamma", 2), ("Delta Demo", "Delta", 1)]
    assert releases["total_release_count"] == 4

    recordings = stats(server, token, "root", "recordings")
    top = [(r["track_name"], r["artist_name"], r["listen_count"]) for r in recordings["recordings"]]
    assert top[:3] == [("A1", "Alpha", 4), ("B1", "Beta", 3), ("G1", "Gamma", 2)]
    assert sorted(top[3:]) == [("A2", "Alpha", 1), ("D1", "Delta", 1)]
    assert recordings["total_recording_count"] == 5

    groups = stats(server, token, "root", "release-groups")
    assert isinstance(groups["release_groups"], list) and "total_release_group_count" in groups

    page = stats(server, token, "root", "artists", count=2, offset=1)
    assert [a["artist_name"] for a in page["artists"]] == ["Beta", "Gamma"]
    assert page["count"] == 2 and page["offset"] == 1 and page["total_artist_count"] == 4

    if time.gmtime(now - 600).tm_year == time.gmtime(now).tm_year:
        this_year = stats(server, token, "root", "artists", range="this_year")
        assert [(a["artist_name"], a["listen_count"]) for a in this_year["artists"]] == [("Alpha", 5), ("Beta", 3), ("Gamma", 2)]
        assert this_year["range"] == "this_year"

    activity = stats(server, token, "root", "listening-activity")["listening_activity"]
    assert sum(a["listen_count"] for a in activity) == 11
    assert all({"from_ts", "to_ts", "time_range", "listen_count"} <= set(a) for a in activity)

    # Current right after a submit: no batch job in between.
    submitted(server, token, "single", song(now - 5, "D2", "Delta", "Delta Demo"))
    artists = stats(server, token, "root", "artists")["artists"]
    assert ("Delta", 2) in [(a["artist_name"], a["listen_count"]) for a in artists]


def test_every_stats_endpoint_answers_every_range(lb):
    server, token = lb
    submitted(server, token, "single", song(int(time.time()) - 60))
    for entity in ["artists", "releases", "release-groups", "recordings", "listening-activity", "daily-activity"]:
        for rng in RANGES:
            r = read(server, f"/1/stats/user/root/{entity}", token, range=rng)
            assert r.status_code == 200, (entity, rng, r.status_code, r.text)
            assert r.json()["payload"]["range"] == rng
        assert read(server, f"/1/stats/user/root/{entity}", token, range="fortnight").status_code == 400


def test_stats_without_listens_are_empty_not_204(lb):
    server, token = lb
    for entity, key_ in [("artists", "artists"), ("releases", "releases"), ("release-groups", "release_groups"),
                         ("recordings", "recordings")]:
        r = read(server, f"/1/stats/user/root/{entity}", token)
        assert r.status_code == 200, (entity, r.status_code)
        assert r.json()["payload"][key_] == []
    activity = stats(server, token, "root", "listening-activity")["listening_activity"]
    assert sum(a["listen_count"] for a in activity) == 0


def hour_counts(server, token):
    days = stats(server, token, "root", "daily-activity", range="all_time")["daily_activity"]
    return {(day, h["hour"]): h["listen_count"] for day, hours in days.items() for h in hours if h["listen_count"]}


def test_daily_activity_follows_the_users_time_zone(lb):
    server, token = lb
    submitted(server, token, "import", song(OLD, "One"), song(OLD + 3600, "Two"), song(OLD + 3 * 86400, "Three"))
    assert hour_counts(server, token) == {("Monday", 3): 1, ("Monday", 4): 1, ("Thursday", 3): 1}
    days = stats(server, token, "root", "daily-activity")["daily_activity"]
    assert set(days) == {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
    assert all(0 <= h["hour"] <= 23 for hours in days.values() for h in hours)
    settings(server, token, timeZone="America/New_York")
    # The rollups are rebuilt for the new zone by a job.
    expected = {("Sunday", 22): 1, ("Sunday", 23): 1, ("Wednesday", 22): 1}
    assert wait_for(lambda: hour_counts(server, token) == expected, timeout=20), hour_counts(server, token)


# --- feedback, latest-import, validate-token -------------------------------------------------------

def test_recording_feedback(lb):
    server, token = lb
    submitted(server, token, "single", song(TS, "Loved Song"))
    msid = listens(server, "root", token)[0]["recording_msid"]
    r = post(server, "/1/feedback/recording-feedback", token, {"recording_msid": msid, "score": 1})
    assert r.status_code == 200 and r.json() == {"status": "ok"}, r.text
    client = ListenBrainz(api_base_url=server.url)
    client.set_auth_token(token)
    client.submit_user_feedback(-1, MBID)

    everything = read(server, "/1/feedback/user/root/get-feedback", token).json()
    assert everything["total_count"] == 2 and everything["count"] == 2 and everything["offset"] == 0
    loved = read(server, "/1/feedback/user/root/get-feedback", token, score=1).json()["feedback"]
    assert [(f["recording_msid"], f["score"], f["user_id"]) for f in loved] == [(msid, 1, "root")]
    assert isinstance(loved[0]["created"], int) and abs(loved[0]["created"] - time.time()) < 300
    hated = read(server, "/1/feedback/user/root/get-feedback", token, score=-1).json()["feedback"]
    assert [(f["recording_mbid"], f["score"]) for f in hated] == [(MBID, -1)]

    assert post(server, "/1/feedback/recording-feedback", token, {"recording_msid": msid, "score": 0}).status_code == 200
    assert read(server, "/1/feedback/user/root/get-feedback", token, score=1).json()["feedback"] == []
    assert read(server, "/1/feedback/user/root/get-feedback", token).json()["total_count"] == 1
    assert post(server, "/1/feedback/recording-feedback", token, {"recording_msid": msid, "score": 2}).status_code == 400
    assert post(server, "/1/feedback/recording-feedback", token, {"score": 1}).status_code == 400
    assert post(server, "/1/feedback/recording-feedback", None, {"recording_msid": msid, "score": 1}).status_code == 401


def test_latest_import_only_moves_forward(lb):
    server, token = lb
    initial = read(server, "/1/latest-import", token, user_name="root").json()
    assert (initial["musicbrainz_id"], initial["latest_import"]) == ("root", 0)
    assert post(server, "/1/latest-import", token, {"ts": 1700000000}).status_code == 200
    assert read(server, "/1/latest-import", token, user_name="root").json()["latest_import"] == 1700000000
    post(server, "/1/latest-import", token, {"ts": 1600000000})
    assert read(server, "/1/latest-import", token, user_name="root").json()["latest_import"] == 1700000000
    assert post(server, "/1/latest-import", None, {"ts": 1800000000}).status_code == 401
    assert read(server, "/1/latest-import", token, user_name="root").json()["latest_import"] == 1700000000


def test_validate_token(lb):
    server, token = lb
    valid = {"code": 200, "message": "Token valid.", "valid": True, "user_name": "root"}
    assert read(server, "/1/validate-token", token).json() == valid
    assert read(server, "/1/validate-token", token=token).json() == valid
    bad = read(server, "/1/validate-token", "cdz_not-a-token")
    assert bad.status_code == 200 and bad.json()["valid"] is False
    assert read(server, "/1/validate-token", token="nope").json()["valid"] is False
    assert read(server, "/1/validate-token").status_code == 400


# --- live feed -----------------------------------------------------------------------------------

def feed(stream, n=1, timeout=10, kinds=("listen", "playing_now")):
    """The next n listen/playing_now events (type, payload), skipping other event types."""
    out, deadline = [], time.time() + timeout
    while len(out) < n and time.time() < deadline:
        for _, _, kind, data in stream.take(1, timeout=max(0.05, deadline - time.time())):
            if kind in kinds:
                out.append((kind, data["payload"]))
    return out


def test_live_feed_reaches_the_listener_and_followers_only(lb):
    server, root = lb
    ann, bob, cy = add_user(server, root, "ann"), add_user(server, root, "bob"), add_user(server, root, "cy")
    assert requests.put(server.url + "/api/v1/follows/ann", headers=auth(bob)).status_code in (200, 201, 204)
    assert requests.get(server.url + "/api/v1/follows", headers=auth(bob)).json() == {"following": ["ann"]}
    streams = {name: SSEClient(server.url, t, last_event_id=0) for name, t in [("ann", ann), ("bob", bob), ("cy", cy)]}
    try:
        submitted(server, ann, "single", song(TS, "First", "Artist", "Album"))
        for name in ("ann", "bob"):
            got = feed(streams[name])
            assert [kind for kind, _ in got] == ["listen"], name
            listen = got[0][1]
            assert listen["listened_at"] == TS and listen["user_name"] == "ann"
            assert listen["track_metadata"]["track_name"] == "First"

        submitted(server, ann, "single", song(TS, "First", "Artist", "Album"))    # a duplicate: no event
        assert feed(streams["ann"], timeout=1.5) == []

        submitted(server, ann, "playing_now", song(None, "Now", "Artist"))
        for name in ("ann", "bob"):
            got = feed(streams[name])
            assert [(kind, l["track_metadata"]["track_name"]) for kind, l in got] == [("playing_now", "Now")], name

        assert feed(streams["cy"], timeout=1.5) == []

        assert requests.delete(server.url + "/api/v1/follows/ann", headers=auth(bob)).status_code in (200, 204)
        assert requests.get(server.url + "/api/v1/follows", headers=auth(bob)).json() == {"following": []}
        submitted(server, ann, "single", song(TS + 60, "Second"))
        assert [l["track_metadata"]["track_name"] for _, l in feed(streams["ann"])] == ["Second"]
        assert feed(streams["bob"], timeout=1.5) == []
        assert feed(streams["cy"], timeout=0.5) == []
    finally:
        for s in streams.values():
            s.close()


def test_feed_merges_own_and_followed_listens_newest_first_and_respects_privacy(lb):
    server, root = lb
    ann, bob, cy = add_user(server, root, "ann"), add_user(server, root, "bob"), add_user(server, root, "cy")
    for name in ("bob", "cy"):
        assert requests.put(server.url + f"/api/v1/follows/{name}", headers=auth(ann)).status_code == 200
    submitted(server, ann, "import", song(TS, "Ann old"), song(TS + 300, "Ann new"))
    submitted(server, bob, "import", song(TS + 100, "Bob mid"), song(TS + 400, "Bob newest"))
    submitted(server, cy, "single", song(TS + 200, "Cy song"))
    submitted(server, bob, "playing_now", song(None, "Bob playing", "Artist", duration_ms=120000))

    def get(token, **params):
        r = requests.get(server.url + "/api/v1/me/feed", params=params, headers=auth(token))
        assert r.status_code == 200, r.text
        return r.json()

    page = get(ann)
    assert page["following"] == ["bob", "cy"]
    assert [(l["user_name"], l["track_metadata"]["track_name"]) for l in page["listens"]] == [
        ("bob", "Bob newest"), ("ann", "Ann new"), ("cy", "Cy song"), ("bob", "Bob mid"), ("ann", "Ann old")]
    assert [(l["user_name"], l["track_metadata"]["track_name"], l["playing_now"]) for l in page["playingNow"]] == [("bob", "Bob playing", True)]
    assert [l["track_metadata"]["track_name"] for l in get(ann, count=2)["listens"]] == ["Bob newest", "Ann new"]

    # cy going private ends their follows and takes their listens out of the feed
    settings(server, cy, visibility="private")
    page = get(ann)
    assert "cy" not in {l["user_name"] for l in page["listens"]} and page["following"] == ["bob"]
    # bob follows nobody: his feed is his own
    assert {l["user_name"] for l in get(bob)["listens"]} == {"bob"}

    for bad in ("0", "201", "x", "-1"):
        r = requests.get(server.url + "/api/v1/me/feed", params={"count": bad}, headers=auth(ann))
        assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_count", (bad, r.text)
    assert requests.get(server.url + "/api/v1/me/feed").status_code == 401


# --- Subsonic bridge and library matching ----------------------------------------------------------

def test_subsonic_scrobbles_become_listens_linked_to_the_library(server_with_music):
    server, token = server_with_music
    requests.put(server.url + "/api/v1/me/subsonic-password", json={"password": "sub-pass-1", "currentPassword": ADMIN_PASSWORD}, headers=auth(token))
    tracks = {t["title"]: t for t in requests.get(server.url + "/api/v1/tracks", headers=auth(token)).json()["items"]}
    r = requests.get(server.url + "/rest/scrobble", params={"u": "root", "p": "sub-pass-1", "v": "1.16.1", "c": "e2e", "f": "json",
                                                            "id": "tr-" + tracks["Lantern"]["id"], "submission": "true"})
    assert r.json()["subsonic-response"]["status"] == "ok"
    [listen] = listens(server, "root", token)
    meta = listen["track_metadata"]
    assert (meta["track_name"], meta["artist_name"], meta["release_name"]) == ("Lantern", "Milo", "Orbit")
    assert listen["cadenza_track_id"] == tracks["Lantern"]["id"]
    assert abs(listen["listened_at"] - time.time()) < 120

    now = int(time.time())
    submitted(server, token, "import", song(now - 600, "night RIVER", "KALOVEN", "glass echo"),
              song(now - 700, "Unknown Song", "Nobody"))
    by_track = {l["track_metadata"]["track_name"]: l for l in listens(server, "root", token)}
    assert by_track["night RIVER"]["cadenza_track_id"] == tracks["Night River"]["id"]
    assert by_track["Unknown Song"]["cadenza_track_id"] is None


def test_web_player_reports_retried_with_their_time_are_stored_once(server_with_music):
    server, token = server_with_music
    lantern = next(t for t in requests.get(server.url + "/api/v1/tracks", headers=auth(token)).json()["items"] if t["title"] == "Lantern")
    at = int(time.time() * 1000) - 5000
    report = {"trackId": lantern["id"], "event": "played", "listenedAt": at}
    for _ in range(3):   # the answer was lost twice: the player sends the same report again
        assert requests.post(server.url + "/api/v1/plays", json=report, headers=auth(token)).status_code == 204
    [listen] = listens(server, "root", token)
    assert listen["listened_at"] == at // 1000 and listen["track_metadata"]["track_name"] == "Lantern"
    for bad in (at - 2 * 86_400_000, int(time.time() * 1000) + 3_600_000, "soon"):
        r = requests.post(server.url + "/api/v1/plays", json=report | {"listenedAt": bad}, headers=auth(token))
        assert r.status_code in (400, 422) and "error" in r.json(), (bad, r.text)
    assert len(listens(server, "root", token)) == 1


# --- import and export -----------------------------------------------------------------------------

PLAYS = [(1615817100, "Alpha", "A1", "Alpha LP"), (1615817400, "Alpha", "A2", "Alpha LP"),
         (1615903500, "Earth, Wind & Fire", "September", "The Best Of"), (1616003460, "Beta", "B1", "Beta EP"),
         (1616089860, "Gamma", "G1", "Gamma LP")]


def lb_lines():
    return [json.dumps({"listened_at": ts, "recording_msid": str(uuid.uuid4()), "user_name": "someone", "inserted_at": ts + 5,
                        "track_metadata": {"artist_name": a, "track_name": t, "release_name": r,
                                           "additional_info": {"duration_ms": 200000}}}) for ts, a, t, r in PLAYS]


def lb_zip():
    lines = lb_lines()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("listens/2021/3.jsonl", "\n".join(lines[:3]) + "\n")
        z.writestr("listens/2021/4.jsonl", "\n".join(lines[3:]) + "\n")
    return out.getvalue()


def lastfm_dates():
    rows = ["artist,album,track,date"]
    for ts, a, t, r in PLAYS:
        a = f'"{a}"' if "," in a else a
        rows.append(f"{a},{r},{t},{time.strftime('%d %b %Y %H:%M', time.gmtime(ts))}")
    return ("\n".join(rows) + "\n").encode()


def lastfm_uts():
    rows = ["uts,utc_time,artist,artist_mbid,album,album_mbid,track,track_mbid"]
    for ts, a, t, r in PLAYS:
        a = f'"{a}"' if "," in a else a
        rows.append(f"{ts},\"{time.strftime('%d %b %Y, %H:%M', time.gmtime(ts))}\",{a},,{r},,{t},")
    return ("\n".join(rows) + "\n").encode()


def maloja():
    return json.dumps({"scrobbles": [{"time": ts, "track": {"title": t, "artists": [a], "album": {"albumtitle": r}},
                                      "duration": 200, "origin": "client:e2e"} for ts, a, t, r in PLAYS]}).encode()


IMPORTS = [
    ("listenbrainz.json", lambda: ("[" + ",".join(lb_lines()) + "]").encode(), None, "listenbrainz"),
    ("listenbrainz.jsonl", lambda: ("\n".join(lb_lines()) + "\n").encode(), None, "listenbrainz"),
    ("listenbrainz-export.zip", lb_zip, None, "listenbrainz"),
    ("backup.txt", lambda: ("\n".join(lb_lines()) + "\n").encode(), "listenbrainz", "listenbrainz"),
    ("scrobbles.csv", lastfm_dates, None, "lastfm_csv"),
    ("lastfm-uts.csv", lastfm_uts, None, "lastfm_csv"),
    ("lastfm-uts-explicit.csv", lastfm_uts, "lastfm_csv", "lastfm_csv"),
    ("maloja_export.json", maloja, None, "maloja"),
]


def run_import(server, token, name, data, fmt=None):
    r = requests.post(server.url + "/api/v1/me/listens/imports", headers=auth(token), files={"file": (name, data)},
                      data={"format": fmt} if fmt else None)
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["state"] in ("queued", "running", "done") and job["id"]
    url = f"{server.url}/api/v1/me/listens/imports/{job['id']}"
    status = lambda: requests.get(url, headers=auth(token)).json()
    final = wait_for(lambda: status()["state"] in ("done", "failed"), timeout=60) and status()
    assert final and final["state"] == "done", final
    return final


@pytest.mark.parametrize("name,make,fmt,detected", IMPORTS, ids=[i[0] for i in IMPORTS])
def test_import_is_idempotent(lb, name, make, fmt, detected):
    server, token = lb
    data = make()
    first = run_import(server, token, name, data, fmt)
    assert (first["format"], first["imported"], first["duplicates"], first["skipped"]) == (detected, 5, 0, 0)
    assert sorted(key(l) for l in listens(server, "root", token, count=100)) == sorted(PLAYS)
    again = run_import(server, token, name, data, fmt)
    assert (again["imported"], again["duplicates"]) == (0, 5)
    assert listen_count(server, "root", token) == 5
    assert stats(server, token, "root", "artists")["total_artist_count"] == 4


def test_import_skips_unreadable_rows_and_reports_progress(lb):
    server, token = lb
    stream = SSEClient(server.url, token, last_event_id=0)
    try:
        data = lastfm_dates() + b"Broken,Nothing,Nowhere,not a date\n"
        final = run_import(server, token, "scrobbles.csv", data)
        assert (final["imported"], final["skipped"]) == (5, 1)
        kinds = [k for k, _ in feed(stream, n=1, timeout=10, kinds=("listens.import.finished",))]
        assert kinds == ["listens.import.finished"]
    finally:
        stream.close()
    bad = requests.post(server.url + "/api/v1/me/listens/imports", headers=auth(token),
                        files={"file": ("x.json", b"[1,2")}, data={"format": "spotify"})
    assert bad.status_code in (400, 422) and bad.json()["error"]["message"]


def test_export_round_trips_into_another_account(lb):
    server, token = lb
    submitted(server, token, "import", *[song(TS + i * 300, f"Song {i % 7}", f"Artist {i % 3}", f"Album {i % 2}") for i in range(30)])
    submitted(server, token, "single", song(TS + 99999, "Last", "Artist", duration_ms=123000))
    r = requests.get(server.url + "/api/v1/me/listens/export", headers=auth(token))
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in r.text.splitlines() if line.strip()]
    assert len(lines) == 31 and all({"listened_at", "track_metadata"} <= set(l) for l in lines)

    ann = add_user(server, token, "ann")
    final = run_import(server, ann, "export.jsonl", r.content)
    assert (final["format"], final["imported"], final["duplicates"]) == ("listenbrainz", 31, 0)
    assert listen_count(server, "ann", ann) == 31
    mine = sorted(key(l) for l in listens(server, "root", token, count=1000))
    theirs = sorted(key(l) for l in listens(server, "ann", ann, count=1000))
    assert mine == theirs
    last = listens(server, "ann", ann, count=1)[0]
    assert last["track_metadata"]["additional_info"]["duration_ms"] == 123000
    assert requests.get(server.url + "/api/v1/me/listens/export").status_code == 401

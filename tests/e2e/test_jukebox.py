"""Jukebox rooms: guests join by link, suggest and vote; the queue plays by score, ties by
suggestion time (Raveberry's rules and tests), votes are one per person even when fifty
arrive at once, and a speaker that never confirms a start never eats the queue."""
import os
import re
import subprocess
import threading
import time
from datetime import datetime

import requests

from conftest import auth, token_for, wait_for
from test_radio_schedule import tone


def room_server(deployment, tmp_path, count=6, seconds=5):
    from conftest import admin_token
    music = tmp_path / "music"
    music.mkdir()
    for i in range(count):
        tone(music / f"k{i}.flac", seconds, 300 + 50 * i, f"K{i}")
    server = deployment.serve(CADENZA_MUSIC_DIRS=str(music))
    token = admin_token(deployment, server)
    assert wait_for(lambda: len(requests.get(server.url + "/api/v1/tracks", headers=auth(token)).json()["items"]) == count)
    ids = {t["title"]: t["id"] for t in requests.get(server.url + "/api/v1/tracks", headers=auth(token)).json()["items"]}
    return server, token, ids


def guest(server, slug, code, name):
    s = requests.Session()
    r = s.post(server.url + f"/api/v1/rooms/{slug}/join", json={"name": name, "code": code})
    assert r.status_code == 200, r.text
    return s


def test_votes_order_remove_and_skip_as_raveberry(deployment, tmp_path):
    server, token, ids = room_server(deployment, tmp_path)
    h = auth(token)
    r = requests.post(server.url + "/api/v1/rooms", headers=h, json={"slug": "party", "name": "Party"})
    assert r.status_code == 201, r.text
    room = r.json()
    code = room["joinCode"]
    base = server.url + "/api/v1/rooms/party"
    # Joining needs the link's code; a guest without it sees nothing.
    assert requests.post(base + "/join", json={"name": "Eve", "code": "wrong"}).status_code == 403
    assert requests.get(base).status_code == 403
    a, b, c = (guest(server, "party", code, n) for n in ("Ann", "Bob", "Cat"))
    assert a.get(base).json()["me"]["name"] == "Ann"
    # Members follow the room live: a guest's stream hears the host's suggestion.
    assert requests.get(base + "/events", timeout=5).status_code == 403
    stream = a.get(base + "/events", stream=True, timeout=10)
    assert stream.status_code == 200 and stream.headers["Content-Type"].startswith("text/event-stream")
    lines = stream.iter_lines(decode_unicode=True)
    assert next(lines).startswith(": connected")
    # The host suggests k1..k4; each starts with the host's upvote.
    for k in ("K1", "K2", "K3", "K4"):
        assert requests.post(base + "/suggestions", headers=h, json={"trackId": ids[k]}).status_code == 201
    heard = []
    for line in lines:
        heard.append(line)
        if line.startswith("data:"):
            break
    assert "event: room" in heard and '"suggestion"' in heard[-1], heard
    # The room's open streams, as /metrics counts them: a HEAD (no body, no stream) leaves none
    # behind, and a closed stream is let go.
    clients = lambda: re.search(r'cadenza_fanout_clients\{fanout="rooms"\} (\d+)', requests.get(server.url + "/metrics").text)
    assert clients() and clients().group(1) == "1"
    for _ in range(5):
        assert a.head(base + "/events", timeout=5).status_code == 200
    assert clients().group(1) == "1"
    stream.close()
    assert wait_for(lambda: clients().group(1) == "0", timeout=20)
    order = lambda: [e["track"]["title"] for e in requests.get(base, headers=h).json()["queue"]]
    entry = {e["track"]["title"]: e["entryId"] for e in requests.get(base, headers=h).json()["queue"]}
    vote = lambda s, k, v: s.put(base + f"/entries/{entry[k]}/vote", json={"value": v})
    assert order() == ["K1", "K2", "K3", "K4"]
    r = vote(a, "K2", 1)
    assert r.status_code == 200, r.text
    assert vote(b, "K3", 1).status_code == 200
    assert order() == ["K2", "K3", "K1", "K4"]
    assert vote(c, "K1", 1).status_code == 200
    assert order() == ["K1", "K2", "K3", "K4"]
    # Ann changes her mind on K2 (her vote moves, it does not add), Bob votes it down too; Ann down on K1.
    assert vote(a, "K2", -1).status_code == 200 and vote(b, "K2", -1).status_code == 200 and vote(a, "K1", -1).status_code == 200
    assert order() == ["K3", "K1", "K4", "K2"]
    # One vote per person: Cat's upvote three times counts once.
    for _ in range(3):
        assert vote(c, "K4", 1).status_code == 200
    scores = {e["track"]["title"]: e["score"] for e in a.get(base).json()["queue"]}
    assert scores == {"K3": 2, "K1": 1, "K4": 2, "K2": -1}, scores
    assert [e["myVote"] for e in a.get(base).json()["queue"] if e["track"]["title"] == "K2"] == [-1]
    # Three downvotes on a queued song (host's +1, then -1 ×3 reaches -2): it leaves the queue.
    for s in (a, b, c):
        assert vote(s, "K4", -1).status_code == 200
    assert "K4" not in order()
    assert vote(a, "K4", 1).status_code == 404
    # The speaker plays K3; three downvotes on the current song skip it.
    nxt = requests.get(base + "/player/next", headers=h).json()
    assert nxt["track"]["title"] == "K3"
    assert requests.post(base + "/player/started", headers=h, json={"entryId": nxt["entryId"]}).status_code == 200
    assert requests.get(base, headers=h).json()["nowPlaying"]["track"]["title"] == "K3"
    for s in (a, b, c):
        assert s.put(base + f"/entries/{nxt['entryId']}/vote", json={"value": -1}).status_code == 200
    assert requests.get(base, headers=h).json().get("nowPlaying") is None
    # Guests cannot use the host's controls.
    assert a.post(base + "/control/skip").status_code == 403
    assert a.get(base + "/player/next").status_code == 403


def test_fifty_guests_vote_at_once_and_none_is_lost(deployment, tmp_path):
    server, token, ids = room_server(deployment, tmp_path, count=2)
    h = auth(token)
    code = requests.post(server.url + "/api/v1/rooms", headers=h, json={"slug": "crowd", "name": "Crowd"}).json()["joinCode"]
    base = server.url + "/api/v1/rooms/crowd"
    assert requests.post(base + "/suggestions", headers=h, json={"trackId": ids["K0"]}).status_code == 201
    entry = requests.get(base, headers=h).json()["queue"][0]["entryId"]
    guests = [guest(server, "crowd", code, f"G{i}") for i in range(50)]
    failures = []

    def cast(s):
        for _ in range(2):  # each votes twice: the second must not count
            r = s.put(base + f"/entries/{entry}/vote", json={"value": 1})
            if r.status_code != 200:
                failures.append(r.text)

    threads = [threading.Thread(target=cast, args=(s,)) for s in guests]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures[:3]
    assert requests.get(base, headers=h).json()["queue"][0]["score"] == 51


def test_a_speaker_that_never_confirms_does_not_eat_the_queue_and_limits_hold(deployment, tmp_path):
    server, token, ids = room_server(deployment, tmp_path)
    h = auth(token)
    code = requests.post(server.url + "/api/v1/rooms", headers=h, json={"slug": "limits", "name": "Limits"}).json()["joinCode"]
    base = server.url + "/api/v1/rooms/limits"
    ann = guest(server, "limits", code, "Ann")
    assert ann.post(base + "/suggestions", json={"trackId": ids["K0"]}).status_code == 201
    # One suggestion every few seconds; the same song twice is refused.
    r = ann.post(base + "/suggestions", json={"trackId": ids["K1"]})
    assert r.status_code == 429 and r.json()["error"]["message"], r.text
    time.sleep(3.1)
    assert ann.post(base + "/suggestions", json={"trackId": ids["K0"]}).status_code == 409
    # A per-guest cap.
    assert requests.patch(base, headers=h, json={"maxPerGuest": 1}).status_code == 200
    assert ann.post(base + "/suggestions", json={"trackId": ids["K1"]}).status_code == 409
    assert requests.patch(base, headers=h, json={"maxPerGuest": 0, "downvotesToRemove": 0}).status_code == 422
    assert requests.post(base + "/suggestions", headers=h, json={"trackId": ids["K2"]}).status_code == 201
    # Guests see what a song is, never where its files are.
    assert all(set(e["track"]) == {"id", "title", "artist", "album", "durationMs"} | ({"artworkId"} & set(e["track"]))
               for e in ann.get(base).json()["queue"])
    assert all("files" not in t for t in ann.get(base + "/search", params={"q": "K"}).json())
    # A join must be JSON (a cross-site form cannot send it unasked).
    assert requests.post(base + "/join", data='{"name": "Form", "code": "x"}', headers={"Content-Type": "text/plain"}).status_code == 415
    # Queue-eating: asking what is next, again and again, without confirming a start, takes nothing.
    for _ in range(5):
        assert requests.get(base + "/player/next", headers=h).json()["track"]["title"] == "K0"
    assert [e["track"]["title"] for e in requests.get(base, headers=h).json()["queue"]] == ["K0", "K2"]
    # Only what plays can end: "ended" for a queued song is refused and takes nothing.
    waiting = requests.get(base + "/player/next", headers=h).json()["entryId"]
    assert requests.post(base + "/player/ended", headers=h, json={"entryId": waiting}).status_code == 409
    assert requests.post(base + "/player/failed", headers=h, json={"entryId": "999999"}).status_code == 404
    assert [e["track"]["title"] for e in requests.get(base, headers=h).json()["queue"]] == ["K0", "K2"]
    # A song that fails to play is marked and passed over, once.
    first = requests.get(base + "/player/next", headers=h).json()["entryId"]
    assert requests.post(base + "/player/failed", headers=h, json={"entryId": first}).status_code == 200
    nxt = requests.get(base + "/player/next", headers=h).json()
    assert nxt["track"]["title"] == "K2"
    # The room's clock: progress from the confirmed start; a pause holds it, play resumes it.
    assert requests.post(base + "/player/started", headers=h, json={"entryId": nxt["entryId"]}).status_code == 200
    time.sleep(1.0)
    assert requests.post(base + "/control/pause", headers=h).status_code == 200
    held = requests.get(base, headers=h).json()["nowPlaying"]
    assert held["paused"] and 900 <= held["elapsedMs"] <= 2500, held
    time.sleep(1.0)
    assert requests.get(base, headers=h).json()["nowPlaying"]["elapsedMs"] == held["elapsedMs"]
    assert requests.post(base + "/control/play", headers=h).status_code == 200
    playing = requests.get(base, headers=h).json()["nowPlaying"]
    assert not playing["paused"] and held["elapsedMs"] <= playing["elapsedMs"] < held["elapsedMs"] + 600
    assert requests.post(base + "/player/ended", headers=h, json={"entryId": nxt["entryId"]}).status_code == 200
    # What just played is on cooldown; suggestions locked by the host; a banned guest is out.
    time.sleep(3.1)
    assert ann.post(base + "/suggestions", json={"trackId": ids["K2"]}).status_code == 409
    assert requests.patch(base, headers=h, json={"locked": True}).status_code == 200
    assert ann.post(base + "/suggestions", json={"trackId": ids["K3"]}).status_code == 409
    # The host finds whom to ban from the queue; the ban also changes the link, so the guest
    # cannot come back in under another name.
    assert requests.patch(base, headers=h, json={"locked": False}).status_code == 200
    time.sleep(3.1)
    assert ann.post(base + "/suggestions", json={"trackId": ids["K3"]}).status_code == 201
    me = ann.get(base).json()["me"]["guestId"]
    assert [e["suggestedById"] for e in requests.get(base, headers=h).json()["queue"] if e["track"]["title"] == "K3"] == [me]
    assert all("suggestedById" not in e for e in ann.get(base).json()["queue"])
    assert requests.post(base + f"/guests/{me}/ban", headers=h).status_code == 204
    time.sleep(3.1)
    assert ann.post(base + "/suggestions", json={"trackId": ids["K4"]}).status_code == 403
    assert ann.put(base + f"/entries/{first}/vote", json={"value": 1}).status_code in (403, 404)
    assert requests.post(base + "/join", json={"name": "Ann again", "code": code}).status_code == 403
    code = requests.get(base, headers=h).json()["joinCode"]
    # A room for signed-in users only; a rotated link shuts the old one.
    assert requests.patch(base, headers=h, json={"requireAccounts": True}).status_code == 200
    assert requests.post(base + "/join", json={"name": "Zed", "code": code}).status_code == 401
    new = requests.post(base + "/code", headers=h).json()["joinCode"]
    assert new != code
    assert deployment.run("user", "create", "member", stdin="member-password-1\n").returncode == 0
    member = auth(token_for(server, "member", "member-password-1"))
    assert requests.post(base + "/join", headers=member, json={"code": code}).status_code == 403
    r = requests.post(base + "/join", headers=member, json={"code": new})
    assert r.status_code == 200 and r.json()["me"]["name"] == "member", r.text
    # Bad input gets the API's own errors.
    assert requests.post(server.url + "/api/v1/rooms", headers=h, json={"slug": "Bad Slug!", "name": "x"}).status_code == 422
    assert requests.put(base + "/entries/abc/vote", headers=h, json={"value": 1}).status_code == 404
    assert requests.put(base + f"/entries/{first}/vote", headers=h, json={"value": 5}).status_code in (404, 422)


def test_songs_played_in_a_room_become_the_hosts_listens(deployment, tmp_path):
    server, token, ids = room_server(deployment, tmp_path, count=2)
    h = auth(token)
    code = requests.post(server.url + "/api/v1/rooms", headers=h, json={"slug": "home", "name": "Home"}).json()["joinCode"]
    base = server.url + "/api/v1/rooms/home"
    lb = lambda: requests.get(server.url + "/1/user/root/listens", headers={"Authorization": f"Token {token}"}).json()["payload"]
    # Signed-in guests choose: Bea asks for the room's songs as her listens, Dan does not; a guest
    # without an account has no listens to add to.
    people = {}
    for name in ("bea", "dan"):
        assert deployment.run("user", "create", name, stdin="guest-password-1\n").returncode == 0
        people[name] = token_for(server, name, "guest-password-1")
        r = requests.post(base + "/join", headers=auth(people[name]), json={"code": code})
        assert r.status_code == 200 and r.json()["me"]["sharesListens"] is False, r.text
    r = requests.put(base + "/me", headers=auth(people["bea"]), json={"sharesListens": True})
    assert r.status_code == 200 and r.json()["me"]["sharesListens"] is True, r.text
    # For the night, not for ever: the room may be used again next month.
    until = datetime.fromisoformat(r.json()["me"]["sharesListensUntil"].replace("Z", "+00:00")).timestamp()
    assert 11.9 * 3600 < until - time.time() <= 12 * 3600
    cat = guest(server, "home", code, "Cat")
    assert cat.get(base).json()["me"].get("sharesListens") is None
    assert cat.put(base + "/me", json={"sharesListens": True}).status_code == 409
    assert requests.put(base + "/me", headers=h, json={"sharesListens": False}).status_code == 409   # the host's are theirs already
    listens_of = lambda name: requests.get(server.url + f"/1/user/{name}/listens", headers={"Authorization": f"Token {people[name]}"}).json()["payload"]
    for k in ("K0", "K1"):
        assert requests.post(base + "/suggestions", headers=h, json={"trackId": ids[k]}).status_code == 201
    # K0 plays three of its five seconds (more than half): a listen, from when it started.
    first = requests.get(base + "/player/next", headers=h).json()["entryId"]
    started = time.time()
    assert requests.post(base + "/player/started", headers=h, json={"entryId": first}).status_code == 200
    time.sleep(3)
    assert requests.post(base + "/player/ended", headers=h, json={"entryId": first}).status_code == 200
    # K1 is skipped after a second: no listen.
    second = requests.get(base + "/player/next", headers=h).json()["entryId"]
    assert requests.post(base + "/player/started", headers=h, json={"entryId": second}).status_code == 200
    time.sleep(1)
    assert requests.post(base + "/control/skip", headers=h).status_code == 200
    assert wait_for(lambda: lb()["count"] >= 1, timeout=10)
    time.sleep(1)
    listens = lb()["listens"]
    assert [l["track_metadata"]["track_name"] for l in listens] == ["K0"], listens
    assert abs(listens[0]["listened_at"] - started) <= 2
    assert listens[0]["track_metadata"]["additional_info"]["submission_client"] == "Cadenza jukebox"
    assert wait_for(lambda: listens_of("bea")["count"] == 1, timeout=10)
    assert [l["track_metadata"]["track_name"] for l in listens_of("bea")["listens"]] == ["K0"]
    assert listens_of("dan")["count"] == 0


def test_parallel_suggestions_from_one_guest_are_limited(deployment, tmp_path):
    server, token, ids = room_server(deployment, tmp_path)
    h = auth(token)
    code = requests.post(server.url + "/api/v1/rooms", headers=h, json={"slug": "burst", "name": "Burst"}).json()["joinCode"]
    base = server.url + "/api/v1/rooms/burst"
    ann = guest(server, "burst", code, "Ann")
    answers = []
    threads = [threading.Thread(target=lambda k=k: answers.append(ann.post(base + "/suggestions", json={"trackId": ids[k]}).status_code))
               for k in ("K0", "K1", "K2", "K3", "K4", "K5")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [201, 429, 429, 429, 429, 429], answers
    assert len(requests.get(base, headers=h).json()["queue"]) == 1


def test_a_restart_resumes_the_room_where_its_clock_says(deployment, tmp_path):
    server, token, ids = room_server(deployment, tmp_path, count=2)
    h = auth(token)
    requests.post(server.url + "/api/v1/rooms", headers=h, json={"slug": "after", "name": "After"})
    base = lambda s: s.url + "/api/v1/rooms/after"
    assert requests.post(base(server) + "/suggestions", headers=h, json={"trackId": ids["K0"]}).status_code == 201
    assert requests.post(base(server) + "/suggestions", headers=h, json={"trackId": ids["K1"]}).status_code == 201
    entry = requests.get(base(server) + "/player/next", headers=h).json()["entryId"]
    assert requests.post(base(server) + "/player/started", headers=h, json={"entryId": entry}).status_code == 200
    time.sleep(1.5)
    before = requests.get(base(server), headers=h).json()
    server.kill9()
    again = deployment.serve(CADENZA_MUSIC_DIRS=str(tmp_path / "music"))
    after = requests.get(base(again), headers=h).json()
    # The same song, further on by the time the restart took; the queue as it was.
    assert after["nowPlaying"]["entryId"] == entry and after["nowPlaying"]["elapsedMs"] > before["nowPlaying"]["elapsedMs"]
    assert [e["entryId"] for e in after["queue"]] == [e["entryId"] for e in before["queue"]]


def test_albums_are_suggested_whole_and_an_empty_queue_autoplays(deployment, tmp_path):
    from conftest import admin_token
    music = tmp_path / "music"
    music.mkdir()
    for i in range(6):
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", "lavfi", "-i", f"sine=frequency={300 + 50 * i}:duration=3",
                        "-metadata", f"title=K{i}", "-metadata", f"artist={'Ann' if i < 3 else 'Bo'}", "-metadata", f"album={'First' if i < 3 else 'Second'}",
                        "-metadata", f"track={i % 3 + 1}", str(music / f"k{i}.flac")], check=True)
    server = deployment.serve(CADENZA_MUSIC_DIRS=str(music))
    token = admin_token(deployment, server)
    h = auth(token)
    assert wait_for(lambda: len(requests.get(server.url + "/api/v1/tracks", headers=h).json()["items"]) == 6)
    tracks = requests.get(server.url + "/api/v1/tracks", headers=h).json()["items"]
    album = tracks[0]["album"]["id"]
    on_album = sorted(t["title"] for t in tracks if t["album"]["id"] == album)
    assert len(on_album) == 3
    code = requests.post(server.url + "/api/v1/rooms", headers=h, json={"slug": "albums", "name": "Albums"}).json()["joinCode"]
    base = server.url + "/api/v1/rooms/albums"
    ann = guest(server, "albums", code, "Ann")
    assert requests.patch(base, headers=h, json={"maxPerGuest": 100}).status_code == 200
    # The host banned the album's second song: the album goes in without it (and not only up to it).
    middle = next(t for t in tracks if t["album"]["id"] == album and t["trackNumber"] == 2)
    assert requests.put(base + f"/banned-tracks/{middle['id']}", headers=h).status_code == 200
    r = ann.post(base + "/suggestions", json={"albumId": album})
    assert r.status_code == 201, r.text
    assert sorted(e["track"]["title"] for e in r.json()["queue"]) == [t for t in on_album if t != middle["title"]]
    assert all(e["mine"] and e["score"] == 1 for e in r.json()["queue"])
    assert ann.post(base + "/suggestions", json={"albumId": "999999"}).status_code in (404, 429)
    assert ann.post(base + "/suggestions", json={}).status_code == 422
    # The queue played out: the room picks something itself (score 0, nobody's), unless told not to.
    for e in requests.get(base, headers=h).json()["queue"]:
        requests.delete(base + f"/entries/{e['entryId']}", headers=h)
    picked = requests.get(base + "/player/next", headers=h)
    assert picked.status_code == 200, picked.text
    queue = requests.get(base, headers=h).json()["queue"]
    assert len(queue) == 1 and queue[0]["autoplay"] and queue[0]["score"] == 0 and queue[0]["entryId"] == picked.json()["entryId"]
    requests.delete(base + f"/entries/{queue[0]['entryId']}", headers=h)
    assert requests.patch(base, headers=h, json={"autoplay": False}).status_code == 200
    assert requests.get(base + "/player/next", headers=h).status_code == 404


def scan_qr(svg, tmp_path):
    """Reads the server's QR code the way a phone does: drawn as pixels (the path's runs filled
    in, eight pixels a module) and decoded by an independent reader, ZBar's zbarimg."""
    import re
    size = int(re.search(r'viewBox="0 0 (\d+) (\d+)"', svg).group(1))
    dark = [[False] * size for _ in range(size)]
    runs = re.findall(r"M(\d+) (\d+)h(\d+)v1h-\3z", re.search(r' d="([^"]*)"', svg).group(1))
    assert runs
    for x, y, n in runs:
        for i in range(int(n)):
            dark[int(y)][int(x) + i] = True
    scale = 8
    pixels = bytearray()
    for row in dark:
        line = bytes(0 if d else 255 for d in row for _ in range(scale))
        pixels += line * scale
    image = tmp_path / "qr.pgm"
    image.write_bytes(b"P5 %d %d 255\n" % (size * scale, size * scale) + bytes(pixels))
    out = subprocess.run(["zbarimg", "--quiet", "--raw", str(image)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_the_join_link_as_a_qr_code_a_phone_can_scan(deployment, tmp_path):
    server, token, ids = room_server(deployment, tmp_path, count=1)
    h = auth(token)
    room = requests.post(server.url + "/api/v1/rooms", headers=h, json={"slug": "qr-party", "name": "QR"}).json()
    base = server.url + "/api/v1/rooms/qr-party"
    # The server builds the link from the address the host used (CADENZA_PUBLIC_URL is loopback here).
    assert room["joinUrl"] == f"{server.url}/#/party/qr-party?code={room['joinCode']}"
    r = requests.get(base + "/qr.svg", headers=h)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("image/svg+xml"), r.text
    assert r.headers["Cache-Control"] == "no-store"
    assert scan_qr(r.text, tmp_path) == room["joinUrl"]
    # What the phone opens: the code in the scanned link lets a guest in.
    scanned_code = scan_qr(r.text, tmp_path).split("code=")[1]
    ann = guest(server, "qr-party", scanned_code, "Ann")
    # Only the host sees the code: a guest, a stranger and another room's slug do not.
    assert ann.get(base + "/qr.svg").status_code == 403
    assert requests.get(base + "/qr.svg").status_code == 403
    assert requests.get(server.url + "/api/v1/rooms/nope/qr.svg", headers=h).status_code == 404
    assert "joinUrl" not in ann.get(base).json() or ann.get(base).json()["joinUrl"] is None
    # A new link: the QR code changes with it and the old code stops letting anyone in.
    fresh = requests.post(base + "/code", headers=h).json()
    assert fresh["joinCode"] != room["joinCode"]
    assert scan_qr(requests.get(base + "/qr.svg", headers=h).text, tmp_path) == fresh["joinUrl"]
    assert requests.post(base + "/join", json={"name": "Bob", "code": scanned_code}).status_code == 403
    assert ann.get(base).status_code == 200   # guests already in stay


def test_host_moves_a_song_to_the_top_bans_a_song_and_clears_the_queue(deployment, tmp_path):
    server, token, ids = room_server(deployment, tmp_path, count=5)
    h = auth(token)
    r = requests.post(server.url + "/api/v1/rooms", headers=h, json={"slug": "host-party", "name": "Host"})
    code = r.json()["joinCode"]
    base = server.url + "/api/v1/rooms/host-party"
    ann = guest(server, "host-party", code, "Ann")
    for k in ("K0", "K1", "K2", "K3"):
        assert requests.post(base + "/suggestions", headers=h, json={"trackId": ids[k]}).status_code == 201
    queue = lambda: requests.get(base, headers=h).json()["queue"]
    entry = {e["track"]["title"]: e["entryId"] for e in queue()}
    assert ann.put(base + f"/entries/{entry['K1']}/vote", json={"value": 1}).status_code == 200
    assert [e["track"]["title"] for e in queue()] == ["K1", "K0", "K2", "K3"]
    # "Play next" puts a song above the score order; the newest move goes first; votes do not undo it.
    assert ann.post(base + f"/entries/{entry['K3']}/top").status_code == 403
    assert requests.post(base + f"/entries/{entry['K3']}/top", headers=h).status_code == 200
    assert requests.post(base + f"/entries/{entry['K2']}/top", headers=h).status_code == 200
    assert [(e["track"]["title"], e["pinned"]) for e in queue()] == [("K2", True), ("K3", True), ("K1", False), ("K0", False)]
    assert ann.put(base + f"/entries/{entry['K2']}/vote", json={"value": -1}).status_code == 200
    assert [e["track"]["title"] for e in queue()] == ["K2", "K3", "K1", "K0"]
    assert requests.get(base + "/player/next", headers=h).json()["entryId"] == entry["K2"]
    assert requests.post(base + "/entries/999999/top", headers=h).status_code == 404
    # A banned song leaves the queue, cannot be suggested again (nor picked by autoplay) until allowed.
    assert ann.put(base + f"/banned-tracks/{ids['K1']}").status_code == 403
    r = requests.put(base + f"/banned-tracks/{ids['K1']}", headers=h)
    assert r.status_code == 200 and [t["title"] for t in r.json()["bannedTracks"]] == ["K1"]
    assert "K1" not in [e["track"]["title"] for e in queue()]
    assert "bannedTracks" not in ann.get(base).json() or ann.get(base).json()["bannedTracks"] is None
    r = ann.post(base + "/suggestions", json={"trackId": ids["K1"]})
    assert r.status_code == 409 and "out of this room" in r.json()["error"]["message"], r.text
    assert requests.put(base + "/banned-tracks/987654", headers=h).status_code == 404
    assert requests.delete(base + f"/banned-tracks/{ids['K1']}", headers=h).json()["bannedTracks"] == []
    # (Taken out by the ban, it would wait out the cooldown like a song voted out.)
    assert requests.patch(base, headers=h, json={"cooldownMinutes": 0}).status_code == 200
    assert ann.post(base + "/suggestions", json={"trackId": ids["K1"]}).status_code == 201
    # The speaker's volume, and clearing the queue.
    assert requests.patch(base, headers=h, json={"gain": 1.5}).status_code == 422
    assert requests.patch(base, headers=h, json={"gain": 0.25}).json()["settings"]["gain"] == 0.25
    assert ann.post(base + "/control/clear").status_code == 403
    assert requests.post(base + "/control/clear", headers=h).json()["queue"] == []


def mean_volume(mp3):
    """The mean volume of MP3 bytes in dB, as ffmpeg's volumedetect measures it (about -91 for
    digital silence, about -21 for the test tones)."""
    run = subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-f", "mp3", "-i", "pipe:0", "-af", "volumedetect", "-f", "null", "-"],
                         input=mp3, capture_output=True)
    found = re.search(r"mean_volume: (-?[0-9.]+) dB", run.stderr.decode(errors="replace"))
    assert found, run.stderr.decode(errors="replace")[-800:]
    return float(found.group(1))


def listen(url, skip, take, headers=None):
    """What a player hears: `take` bytes of the stream after the first `skip` (a new listener gets
    the last seconds already encoded first)."""
    with requests.get(url, stream=True, timeout=30, headers=headers or {}) as r:
        assert r.status_code == 200 and r.headers["Content-Type"] == "audio/mpeg", r.text[:300]
        data = b""
        for chunk in r.iter_content(4096):
            data += chunk
            if len(data) >= skip + take:
                break
        return data[skip:skip + take], r.headers


def test_a_stream_mode_room_plays_its_queue_to_any_player(deployment, tmp_path):
    """The room played by the server's playout engine to the room's own mount: the queue advances
    only when the engine started the song, a pause holds it in silence, a skip from anywhere
    reaches it, a restart resumes the song where the room's clock says, and a song that gives no
    audio is marked failed and passed over once."""
    server, token, ids = room_server(deployment, tmp_path, count=3, seconds=40)
    h = auth(token)
    r = requests.post(server.url + "/api/v1/rooms", headers=h, json={"slug": "loud", "name": "Loud", "playback": "stream", "autoplay": False})
    assert r.status_code == 201 and r.json()["settings"]["playback"] == "stream"
    stream_url = r.json()["streamUrl"]
    assert stream_url.startswith(server.url + "/api/v1/rooms/loud/stream.mp3?code=")
    base = lambda s: s.url + "/api/v1/rooms/loud"
    # One player per room: the speaker page's endpoints refuse while the stream plays it.
    assert requests.get(base(server) + "/player/next", headers=h).status_code == 409
    assert requests.patch(base(server), headers=h, json={"playback": "radio"}).status_code == 422
    # Without the code or a seat in the room there is nothing to hear.
    assert requests.get(base(server) + "/stream.mp3").status_code == 403
    assert requests.get(base(server) + "/stream.mp3?code=not-the-code").status_code == 403
    for title in ("K0", "K1", "K2"):
        assert requests.post(base(server) + "/suggestions", headers=h, json={"trackId": ids[title]}).status_code == 201
    state = lambda s=server: requests.get(base(s), headers=h).json()
    playing = lambda s=server: ((state(s).get("nowPlaying") or {}).get("track") or {}).get("title")
    # Nobody is listening yet and the engine starts the top song; only then does it leave the queue.
    assert wait_for(lambda: playing() == "K0", timeout=20)
    assert [e["track"]["title"] for e in state()["queue"]] == ["K1", "K2"]
    # Any player hears it, with the song's title in the stream for those who ask.
    audio, headers = listen(stream_url, 0, 48_000, headers={"Icy-MetaData": "1"})
    assert headers["icy-metaint"] == "16000" and headers["icy-name"] == "Loud"
    assert b"StreamTitle='Tester - K0'" in audio
    assert mean_volume(listen(stream_url, 0, 48_000)[0]) > -40
    # A guest's browser plays it with the guest's cookie, no code needed.
    code = stream_url.split("code=")[1]
    robin = guest(server, "loud", code, "Robin")
    with robin.get(base(server) + "/stream.mp3", stream=True, timeout=30) as r:
        assert r.status_code == 200 and len(next(r.iter_content(4096))) > 0
    # A pause: the clock stops and the stream carries silence (past what was encoded before it).
    assert requests.post(base(server) + "/control/pause", headers=h).status_code == 200
    held = state()["nowPlaying"]["elapsedMs"]
    time.sleep(2.5)
    assert state()["nowPlaying"]["paused"] and state()["nowPlaying"]["elapsedMs"] == held
    assert mean_volume(listen(stream_url, 64 * 1024, 40_000)[0]) < -80
    assert requests.post(base(server) + "/control/play", headers=h).status_code == 200
    assert mean_volume(listen(stream_url, 64 * 1024, 32_000)[0]) > -40
    # A skip from elsewhere (the host's phone, the guests' downvotes) reaches the engine.
    assert requests.post(base(server) + "/control/skip", headers=h).status_code == 200
    assert wait_for(lambda: playing() == "K1", timeout=10)
    assert [e["track"]["title"] for e in state()["queue"]] == ["K2"]
    time.sleep(2)
    before = state()["nowPlaying"]
    # Killed: the room comes back on the air with the same song, where its clock says.
    server.kill9()
    again = deployment.serve(CADENZA_MUSIC_DIRS=str(tmp_path / "music"))
    after = state(again)["nowPlaying"]
    assert after["entryId"] == before["entryId"] and after["elapsedMs"] > before["elapsedMs"]
    again_url = stream_url.replace(server.url, again.url)
    # The stream starts with this listener: the song comes once its decoder has seeked to the
    # clock's position (seconds on a loaded machine), so seven seconds are read, not three.
    audio, _ = listen(again_url, 0, 112_000, headers={"Icy-MetaData": "1"})
    assert b"StreamTitle='Tester - K1'" in audio
    assert state(again)["nowPlaying"]["entryId"] == before["entryId"]
    # The last song's file is gone: it is marked failed and passed over once, never retried,
    # and the stream waits for the next suggestion in silence.
    os.remove(tmp_path / "music" / "k2.flac")
    assert requests.post(base(again) + "/control/skip", headers=h).status_code == 200
    assert wait_for(lambda: state(again)["queue"] == [] and state(again).get("nowPlaying") is None, timeout=15)
    time.sleep(2)
    assert state(again)["queue"] == [] and state(again).get("nowPlaying") is None
    # The host switches the room back to the speaker: the stream goes off the air.
    assert requests.patch(base(again), headers=h, json={"playback": "speaker"}).json().get("streamUrl") is None
    assert wait_for(lambda: requests.get(again_url, stream=True, timeout=10).status_code == 404, timeout=10)


def test_room_rules_who_may_vote_forbidden_words_and_new_music_only(deployment, tmp_path):
    """Raveberry's interactivity levels (full control, full voting, upvotes only, no control),
    forbidden words and "new music only", on suggestions and on the room's own picks."""
    server, token, ids = room_server(deployment, tmp_path, count=8)
    h = auth(token)
    rooms = server.url + "/api/v1/rooms"
    assert requests.post(rooms, headers=h, json={"slug": "rules", "name": "Rules", "interactivity": "chaos"}).status_code == 422
    assert requests.post(rooms, headers=h, json={"slug": "rules", "name": "Rules", "forbiddenWords": ["x"] * 101}).status_code == 422
    r = requests.post(rooms, headers=h, json={"slug": "rules", "name": "Rules", "interactivity": "upvotes_only", "cooldownMinutes": 0,
                                             "forbiddenWords": ["  k2 ", "K2", "tester x"], "newMusicOnly": True})
    assert r.status_code == 201, r.text
    settings = r.json()["settings"]
    assert settings["interactivity"] == "upvotes_only" and settings["forbiddenWords"] == ["k2", "tester x"] and settings["newMusicOnly"]
    base = rooms + "/rules"
    ann = guest(server, "rules", r.json()["joinCode"], "Ann")
    for k in ("K0", "K1"):
        assert requests.post(base + "/suggestions", headers=h, json={"trackId": ids[k]}).status_code == 201
    entry = {e["track"]["title"]: e["entryId"] for e in requests.get(base, headers=h).json()["queue"]}
    # Upvotes only: up is taken, down is refused (the host may still vote down).
    assert ann.put(base + f"/entries/{entry['K0']}/vote", json={"value": 1}).status_code == 200
    assert ann.put(base + f"/entries/{entry['K1']}/vote", json={"value": -1}).status_code == 403
    # A forbidden word anywhere in the title, artist or album, whatever its case.
    refused = ann.post(base + "/suggestions", json={"trackId": ids["K2"]})
    assert refused.status_code == 409 and "k2" in refused.json()["error"]["message"]
    # No control: guests only suggest.
    assert requests.patch(base, headers=h, json={"interactivity": "no_control"}).status_code == 200
    assert ann.put(base + f"/entries/{entry['K1']}/vote", json={"value": 1}).status_code == 403
    assert ann.post(base + "/suggestions", json={"trackId": ids["K3"]}).status_code == 201
    # Full control: guests play, pause and skip; clearing the queue stays the host's.
    assert requests.patch(base, headers=h, json={"interactivity": "full_control"}).status_code == 200
    assert ann.post(base + "/control/pause").status_code == 200  # nothing plays: nothing happens
    nxt = requests.get(base + "/player/next", headers=h).json()
    assert nxt["track"]["title"] == "K0"
    assert requests.post(base + "/player/started", headers=h, json={"entryId": nxt["entryId"]}).status_code == 200
    assert ann.post(base + "/control/pause").json()["nowPlaying"]["paused"] is True
    assert ann.post(base + "/control/play").json()["nowPlaying"]["paused"] is False
    assert ann.post(base + "/control/clear").status_code == 403
    assert ann.post(base + "/control/skip").json().get("nowPlaying") is None
    # New music only: K0 played here, so it does not come back, cooldown or not.
    again = requests.post(base + "/suggestions", headers=h, json={"trackId": ids["K0"]})
    assert again.status_code == 409 and "not played before" in again.json()["error"]["message"]
    # The room's own picks keep its rules: with K1..K7 forbidden, autoplay can only pick K0 in a
    # fresh room, and after K0 played, nothing at all.
    words = [f"k{i}" for i in range(1, 8)]
    requests.post(rooms, headers=h, json={"slug": "picks", "name": "Picks", "forbiddenWords": words, "newMusicOnly": True, "cooldownMinutes": 0})
    picks = rooms + "/picks"
    first = requests.get(picks + "/player/next", headers=h).json()
    assert first["track"]["title"] == "K0"
    assert requests.post(picks + "/player/started", headers=h, json={"entryId": first["entryId"]}).status_code == 200
    assert requests.post(picks + "/player/ended", headers=h, json={"entryId": first["entryId"]}).status_code == 200
    assert requests.get(picks + "/player/next", headers=h).status_code == 404

"""Notifications end to end: default rules fill the inbox, rules never tell anyone what they
may not see, webhooks are signed (checked with the Standard Webhooks reference library) and
retried with the same id, email goes through a real SMTP server (aiosmtpd) with a confirmation
link, one-click unsubscribe and digests, and a delivery survives kill -9 of the server."""
import threading
import time
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests
from aiosmtpd.controller import Controller
from standardwebhooks.webhooks import Webhook

from conftest import admin_token, auth, free_port, token_for, wait_for

PASSWORD = "correct horse battery"
FAST = dict(CADENZA_WEBHOOK_PRIVATE_ADDRESSES="1", CADENZA_NOTIFY_RETRY_SECONDS="1")


class Receiver:
    """A webhook receiver on 127.0.0.1: answers each request with the next of `answers` (then
    200), after `delay` seconds for the first; keeps (headers, body)."""

    def __init__(self, answers=(), delay=0):
        self.requests, self.answers, self.delay = [], list(answers), delay
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.delay:
                    wait, receiver.delay = receiver.delay, 0
                    time.sleep(wait)
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"

    def close(self):
        self.server.shutdown()


class Sink:
    def __init__(self):
        self.messages, self.raw, self.rcpt_replies = [], [], []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_replies:
            return self.rcpt_replies.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.raw.append(envelope.original_content)
        self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 2.0.0 queued"


def make_users(deployment, server, *names):
    root = admin_token(deployment, server)
    tokens, ids = {}, {}
    for name in names:
        r = requests.post(server.url + "/api/v1/users", headers=auth(root), json={"username": name, "password": PASSWORD})
        assert r.status_code == 201, r.text
        ids[name] = r.json()["id"]
        tokens[name] = token_for(server, name, PASSWORD)
    return root, tokens, ids


def inbox(server, token):
    r = requests.get(server.url + "/api/v1/notifications", headers=auth(token))
    assert r.status_code == 200, r.text
    return r.json()


def follow(server, token, name):
    assert requests.put(server.url + f"/api/v1/follows/{name}", headers=auth(token)).status_code in (200, 201, 204)


def listen(server, token, title):
    body = {"listen_type": "single", "payload": [{"listened_at": int(time.time()), "track_metadata": {"artist_name": "Nina", "track_name": title}}]}
    r = requests.post(server.url + "/1/submit-listens", headers={"Authorization": f"Token {token}"}, json=body)
    assert r.status_code == 200, r.text


def test_the_inbox_fills_from_default_rules_and_rules_respect_privacy(deployment):
    server = deployment.serve()
    _, t, ids = make_users(deployment, server, "ann", "bob", "carl")
    follow(server, t["bob"], "ann")
    # Ann's default "About me" rule: bob's follow reaches her inbox, live and unread.
    wait_for(lambda: inbox(server, t["ann"])["unread"] == 1)
    [item] = inbox(server, t["ann"])["items"]
    assert item["title"] == "bob follows you" and item["type"] == "user.followed" and not item["read"]
    assert inbox(server, t["bob"])["items"] == []  # his own action is not news to him
    # Bob watches the people he follows; carl names ann but does not follow her.
    for who, targets in (("bob", ["following"]), ("carl", [ids["ann"]])):
        r = requests.post(server.url + "/api/v1/notification-rules", headers=auth(t[who]),
                          json={"name": "Friends", "tracking": "users", "targets": targets, "types": ["listen"]})
        assert r.status_code == 201, r.text
    time.sleep(1)  # the matcher reads the changed rules from the event log
    listen(server, t["ann"], "Sinnerman")
    wait_for(lambda: any(i["type"] == "listen" for i in inbox(server, t["bob"])["items"]))
    assert [i["title"] for i in inbox(server, t["bob"])["items"]] == ["ann listened to Sinnerman"]
    time.sleep(1)
    # Ann's listens are for her followers: carl's rule cannot get round that.
    assert inbox(server, t["carl"])["items"] == []
    # The preview counts what the rule would have sent.
    r = requests.post(server.url + "/api/v1/notification-rules/preview", headers=auth(t["bob"]),
                      json={"tracking": "users", "targets": ["following"], "types": ["listen"]})
    assert r.status_code == 200 and r.json()["matched"] == 1 and r.json()["examples"] == ["ann listened to Sinnerman"]
    r = requests.post(server.url + "/api/v1/notifications/read", headers=auth(t["ann"]), json={})
    assert r.status_code == 200 and r.json()["unread"] == 0
    # A changed password is news even to the one who changed it: whoever did may not be the owner.
    r = requests.put(server.url + "/api/v1/me/password", headers=auth(t["carl"]),
                     json={"currentPassword": PASSWORD, "newPassword": PASSWORD + "!", "revokeTokens": False})
    assert r.status_code == 200, r.text
    wait_for(lambda: any(i["title"] == "Your password was changed" and i["severity"] == "warning" for i in inbox(server, t["carl"])["items"]))
    # Bad input gets the API's errors.
    for query in ("unread=maybe", "limit=abc", "before=-3"):
        r = requests.get(server.url + "/api/v1/notifications?" + query, headers=auth(t["carl"]))
        assert r.status_code == 400 and "error" in r.json(), (query, r.text)
    for body in ({"tracking": "admin"}, {"tracking": "users", "targets": []}, {"tracking": "followed", "targets": ["x"]},
                 {"tracking": "mentions", "destinationIds": ["999999"]}, {"tracking": "mentions", "quietStart": "25:00", "quietEnd": "07:00"}):
        r = requests.post(server.url + "/api/v1/notification-rules", headers=auth(t["carl"]), json=body)
        assert r.status_code in (400, 403, 422) and "error" in r.json(), (body, r.text)


def test_webhooks_are_verified_signed_and_retried_with_the_same_id(deployment):
    receiver = Receiver()
    server = deployment.serve(**FAST)
    try:
        _, t, ids = make_users(deployment, server, "ann", "bob", "carl")
        r = requests.post(server.url + "/api/v1/notification-destinations", headers=auth(t["ann"]),
                          json={"kind": "webhook", "name": "My hook", "address": receiver.url})
        assert r.status_code == 201, r.text
        hook, secret = r.json()["id"], r.json()["secret"]
        assert r.json()["status"] == "pending" and secret.startswith("whsec_")
        # The test message confirms it.
        wait_for(lambda: len(receiver.requests) == 1)
        wait_for(lambda: next(d for d in requests.get(server.url + "/api/v1/notification-destinations", headers=auth(t["ann"])).json()
                              if d["id"] == hook)["status"] == "active")
        r = requests.post(server.url + "/api/v1/notification-rules", headers=auth(t["ann"]),
                          json={"name": "Follows to my hook", "tracking": "mentions", "types": ["user.*"], "destinationIds": [hook]})
        assert r.status_code == 201, r.text
        rule = r.json()["id"]
        time.sleep(1)
        receiver.answers = [500, 503]
        follow(server, t["bob"], "ann")
        wait_for(lambda: len(receiver.requests) == 4, timeout=30)
        verifier = Webhook(secret)
        ids_seen = set()
        for headers, body in receiver.requests[1:]:
            payload = verifier.verify(body, headers)  # raises on a bad signature or timestamp
            ids_seen.add(headers["webhook-id"])
        assert len(ids_seen) == 1, "a retry carries the first attempt's webhook-id"
        assert payload["type"] == "user.followed"
        [item] = payload["data"]["items"]
        assert item["title"] == "bob follows you" and item["rules"] == [rule] and item["url"].startswith(server.url)
        # Over its hourly limit a destination holds what comes next for the next message: nothing is lost.
        assert requests.patch(server.url + f"/api/v1/notification-destinations/{hook}", headers=auth(t["ann"]),
                              json={"ratePerHour": 1}).status_code == 200
        requests.delete(server.url + "/api/v1/follows/ann", headers=auth(t["bob"]))
        follow(server, t["bob"], "ann")
        wait_for(lambda: [d for d in requests.get(server.url + "/api/v1/notification-destinations", headers=auth(t["ann"])).json()
                          if d["id"] == hook][0]["deliveries"].get("held") == 1)
        assert len(receiver.requests) == 4
        requests.patch(server.url + f"/api/v1/notification-destinations/{hook}", headers=auth(t["ann"]), json={"ratePerHour": 30})
        # A receiver that answers 410 Gone is not called again, and ann hears of it in the app.
        receiver.answers = [410]
        follow(server, t["carl"], "ann")
        wait_for(lambda: any("were turned off" in i["title"] for i in inbox(server, t["ann"])["items"]), timeout=30)
        [state] = [d for d in requests.get(server.url + "/api/v1/notification-destinations", headers=auth(t["ann"])).json() if d["id"] == hook]
        assert state["status"] == "disabled" and "410" in state["lastError"]
        # Only http(s) URLs; a private address only when the operator allows it.
        r = requests.post(server.url + "/api/v1/notification-destinations", headers=auth(t["ann"]),
                          json={"kind": "webhook", "address": "file:///etc/passwd"})
        assert r.status_code in (400, 422)
    finally:
        receiver.close()
    strict = deployment.serve()
    r = requests.post(strict.url + "/api/v1/notification-destinations", headers=auth(t["bob"]),
                      json={"kind": "webhook", "address": receiver.url})
    assert r.status_code in (400, 422) and "private" in r.json()["error"]["message"]


def test_email_is_confirmed_sent_digested_and_unsubscribed(deployment):
    sink = Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
    smtp.start()
    try:
        server = deployment.serve(CADENZA_SMTP_URL=f"smtp://127.0.0.1:{smtp.port}", CADENZA_MAIL_FROM="Cadenza <cadenza@example.org>", **FAST)
        _, t, ids = make_users(deployment, server, "ann", "bob", "carl", "dora")
        r = requests.post(server.url + "/api/v1/notification-destinations", headers=auth(t["ann"]),
                          json={"kind": "email", "address": "ann@example.org", "digestCount": 2})
        assert r.status_code == 201 and r.json()["status"] == "pending", r.text
        mail = r.json()["id"]
        wait_for(lambda: len(sink.messages) == 1)
        confirm = sink.messages[0]
        link = next(word for word in confirm.get_body(("plain",)).get_content().split() if "/notifications/confirm?" in word)
        # Opening the link confirms nothing (mail scanners open links); the page's button does.
        page = requests.get(link)
        assert page.status_code == 200 and 'id="confirm"' in page.text
        assert requests.get(server.url + "/api/v1/notification-destinations", headers=auth(t["ann"])).json()[1]["status"] == "pending"
        token = link.split("token=")[1]
        assert requests.post(server.url + "/notifications/confirm", data={"token": token}).status_code == 200
        assert requests.get(server.url + "/api/v1/notification-destinations", headers=auth(t["ann"])).json()[1]["status"] == "active"
        r = requests.post(server.url + "/api/v1/notification-rules", headers=auth(t["ann"]),
                          json={"name": "Followers by mail", "tracking": "mentions", "types": ["user.followed"], "destinationIds": [mail]})
        assert r.status_code == 201
        time.sleep(1)
        # Two follows make one digest (digestCount 2); a 450 on the first try is retried.
        sink.rcpt_replies = ["450 4.2.1 try later"]
        follow(server, t["bob"], "ann")
        follow(server, t["carl"], "ann")
        wait_for(lambda: len(sink.messages) == 2, timeout=90)
        digest = sink.messages[1]
        assert digest["Subject"] == "2 notifications from Cadenza"
        assert digest["Auto-Submitted"] == "auto-generated"
        assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        text = digest.get_body(("plain",)).get_content()
        assert "1. bob follows you" in text and "2. carl follows you" in text
        unsubscribe = digest["List-Unsubscribe"].strip("<>")
        # As it is on the wire: a mail client reads the URL as written, never as an encoded word.
        assert f"List-Unsubscribe: <{unsubscribe}>".encode() in sink.raw[1]
        # RFC 8058: the mail client POSTs List-Unsubscribe=One-Click, no sign-in.
        r = requests.post(unsubscribe, data={"List-Unsubscribe": "One-Click"})
        assert r.status_code == 200
        assert requests.get(server.url + "/api/v1/notification-destinations", headers=auth(t["ann"])).json()[1]["status"] == "disabled"
        assert requests.post(unsubscribe.replace("&t=", "&t=x"), data={"List-Unsubscribe": "One-Click"}).status_code == 404
        follow(server, t["dora"], "ann")
        wait_for(lambda: any(i["title"] == "dora follows you" for i in inbox(server, t["ann"])["items"]))
        time.sleep(2)
        assert len(sink.messages) == 2
        # Turned on again, the address is confirmed again first (its owner had unsubscribed).
        r = requests.patch(server.url + f"/api/v1/notification-destinations/{mail}", headers=auth(t["ann"]), json={"enabled": True})
        assert r.status_code == 200 and r.json()["status"] == "pending"
        wait_for(lambda: len(sink.messages) == 3)
        assert sink.messages[2]["Subject"] == "Confirm your address for Cadenza notifications"
        again = next(w for w in sink.messages[2].get_body(("plain",)).get_content().split() if "/notifications/confirm?" in w)
        assert requests.post(server.url + "/notifications/confirm", data={"token": again.split("token=")[1]}).status_code == 200
        # A 550 at RCPT is permanent: not retried, and the address is turned off (ann is told in the app).
        assert requests.patch(server.url + f"/api/v1/notification-destinations/{mail}", headers=auth(t["ann"]),
                              json={"digestCount": 0}).json()["status"] == "active"
        sink.rcpt_replies = ["550 5.1.1 no such user"]
        requests.delete(server.url + "/api/v1/follows/ann", headers=auth(t["dora"]))
        follow(server, t["dora"], "ann")
        state = lambda: requests.get(server.url + "/api/v1/notification-destinations", headers=auth(t["ann"])).json()[1]
        wait_for(lambda: state()["status"] == "disabled", timeout=30)
        assert "550" in state()["lastError"] and state()["deliveries"].get("failed") == 1
        wait_for(lambda: any("were turned off" in i["title"] for i in inbox(server, t["ann"])["items"]))
        assert len(sink.messages) == 3
    finally:
        smtp.stop()


def test_a_delivery_survives_kill9_of_the_server(deployment):
    receiver = Receiver()
    server = deployment.serve(**FAST)
    try:
        _, t, ids = make_users(deployment, server, "ann", "bob")
        r = requests.post(server.url + "/api/v1/notification-destinations", headers=auth(t["ann"]),
                          json={"kind": "webhook", "address": receiver.url, "format": "standard"})
        hook, secret = r.json()["id"], r.json()["secret"]
        wait_for(lambda: len(receiver.requests) == 1)
        requests.post(server.url + "/api/v1/notification-rules", headers=auth(t["ann"]),
                      json={"tracking": "mentions", "types": ["user.followed"], "destinationIds": [hook]})
        time.sleep(1)
        receiver.delay = 4  # the server is killed while the receiver holds the request
        follow(server, t["bob"], "ann")
        time.sleep(2)
        server.kill9()
        server = deployment.serve(**FAST)
        wait_for(lambda: len(receiver.requests) >= 3, timeout=60)
        bodies = [Webhook(secret).verify(body, headers) for headers, body in receiver.requests[1:]]
        assert {h["webhook-id"] for h, _ in receiver.requests[1:]} == {receiver.requests[1][0]["webhook-id"]}
        assert all(b["data"]["items"][0]["title"] == "bob follows you" for b in bodies)
    finally:
        receiver.close()


def test_a_show_starting_soon_is_announced_to_its_followers_and_hosts(deployment, tmp_path):
    import subprocess
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo
    music = tmp_path / "music"
    music.mkdir()
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=5",
                    "-metadata", "title=Opener", str(music / "o.flac")], check=True)
    server = deployment.serve(CADENZA_MUSIC_DIRS=str(music))
    root, t, ids = make_users(deployment, server, "ann", "bob", "carl")
    h = auth(root)
    wait_for(lambda: len(requests.get(server.url + "/api/v1/tracks", headers=h).json()["items"]) == 1)
    track = requests.get(server.url + "/api/v1/tracks", headers=h).json()["items"][0]["id"]
    assert requests.post(server.url + "/api/v1/stations", headers=h, json={"slug": "night", "name": "Night FM", "timeZone": "UTC"}).status_code == 201
    base = server.url + "/api/v1/stations/night"
    playlist = requests.post(base + "/playlists", headers=h, json={"name": "Set", "trackIds": [track]}).json()
    # Bob follows the station; ann hosts the show and watches what she owns; carl has neither.
    for who, body in (("bob", {"tracking": "followed", "targets": ["station:night"]}),
                      ("ann", {"tracking": "owned", "types": ["station.show_starting"]})):
        assert requests.post(server.url + "/api/v1/notification-rules", headers=auth(t[who]), json=body).status_code == 201
    start = (datetime.now(ZoneInfo("UTC")) + timedelta(minutes=4)).replace(second=0, microsecond=0)
    r = requests.post(base + "/shows", headers=h, json={"title": "Late Jazz", "hosts": ["ann"], "playlistId": playlist["id"],
                                                        "startDate": start.strftime("%Y-%m-%d"), "startTime": start.strftime("%H:%M:%S"),
                                                        "durationMinutes": 5})
    assert r.status_code == 201, r.text
    for who in ("bob", "ann"):
        wait_for(lambda: any(i["type"] == "station.show_starting" for i in inbox(server, t[who])["items"]), timeout=150)
        [item] = [i for i in inbox(server, t[who])["items"] if i["type"] == "station.show_starting"]
        assert item["title"].startswith("Late Jazz starts in ") and item["body"] == "On Night FM" and item["link"] == "/#/radio/night"
    assert not any(i["type"] == "station.show_starting" for i in inbox(server, t["carl"])["items"])


def test_a_new_album_by_a_starred_artist_reaches_the_inbox(server_with_music, music):
    from media import make_audio
    server, root = server_with_music
    h = auth(root)
    kaloven = next(a for a in requests.get(server.url + "/api/v1/artists", headers=h).json()["items"] if a["name"] == "Kaloven")
    assert requests.put(server.url + f"/api/v1/stars/artist/{kaloven['id']}", headers=h).status_code == 204
    # Stars change without events: the rules are read again when the user's rules change (or every 10 minutes).
    r = requests.post(server.url + "/api/v1/notification-rules/preview", headers=h,
                      json={"tracking": "followed", "targets": ["starred"], "types": ["album.added"]})
    assert r.status_code == 200 and r.json()["matched"] == 1 and r.json()["examples"] == ["New album by Kaloven: Glass Echo"]
    assert requests.post(server.url + "/api/v1/notification-rules", headers=h,
                         json={"name": "Kaloven", "tracking": "followed", "targets": ["starred"], "types": ["album.added"]}).status_code == 201
    make_audio(str(music / "Kaloven/Second Light/01.mp3"), seconds=2, title="Dawn", artist="Kaloven", album_artist="Kaloven",
               album="Second Light", track="1")
    make_audio(str(music / "Milo/Orbit Two/01.mp3"), seconds=2, title="Moon", artist="Milo", album="Orbit Two")
    assert requests.post(server.url + "/api/v1/libraries/1/scan", headers=h, json={}).status_code in (200, 202)
    wait_for(lambda: any(i["type"] == "album.added" for i in inbox(server, root)["items"]), timeout=30)
    time.sleep(1)
    assert [i["title"] for i in inbox(server, root)["items"] if i["type"] == "album.added"] == ["New album by Kaloven: Second Light"]

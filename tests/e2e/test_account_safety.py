"""Account safety as an attacker and as a careful user see it: sign-in limits that hold under
parallel guesses and behind a proxy, setup that costs nothing without its token, a password
change that locks out what the old password let in, token scopes, and scrobbler sessions a user
can see and end."""
import re
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from conftest import ADMIN_PASSWORD, admin_token, auth, token_for, wait_for
from test_lastfm import OPEN, call, failed, md5, ok

APP_PASSWORD = "app-pass-safety"


def login(server, username, password, headers=None):
    s = requests.Session()
    r = s.post(server.url + "/api/v1/auth/login", json={"username": username, "password": password}, headers=headers or {})
    if r.status_code == 200:
        s.headers["X-CSRF-Token"] = r.json()["csrfToken"]
    return s, r


def test_parallel_wrong_passwords_cannot_pass_the_limit(deployment):
    server = deployment.serve(CADENZA_LOGIN_LIMIT_PER_ACCOUNT=10, CADENZA_LOGIN_LIMIT_PER_IP=1000, CADENZA_RATE_WINDOW_SECONDS=86400)
    admin_token(deployment, server)
    with ThreadPoolExecutor(max_workers=40) as pool:
        codes = list(pool.map(lambda i: login(server, "root", f"wrong-{i}")[1].status_code, range(40)))
    assert codes.count(401) == 10 and codes.count(429) == 30, codes
    # The right password is refused too while the account's budget is spent: no oracle.
    assert login(server, "root", ADMIN_PASSWORD)[1].status_code == 429


def test_a_correct_password_gives_its_attempt_back(deployment):
    server = deployment.serve(CADENZA_LOGIN_LIMIT_PER_ACCOUNT=3, CADENZA_LOGIN_LIMIT_PER_IP=1000, CADENZA_RATE_WINDOW_SECONDS=86400)
    admin_token(deployment, server)
    for _ in range(5):
        assert login(server, "root", ADMIN_PASSWORD)[1].status_code == 200
    assert [login(server, "root", "nope")[1].status_code for _ in range(3)] == [401, 401, 401]
    assert login(server, "root", "nope")[1].status_code == 429


def test_behind_a_trusted_proxy_each_client_has_its_own_budget(deployment):
    server = deployment.serve(CADENZA_TRUSTED_PROXIES="127.0.0.1/32, ::1", CADENZA_LOGIN_LIMIT_PER_IP=3,
                              CADENZA_LOGIN_LIMIT_PER_ACCOUNT=1000, CADENZA_RATE_WINDOW_SECONDS=86400)
    admin_token(deployment, server)
    mallory = {"X-Forwarded-For": "203.0.113.5"}
    assert [login(server, "root", "guess", mallory)[1].status_code for _ in range(4)] == [401, 401, 401, 429]
    # Another client behind the same proxy is not locked out by Mallory's failures.
    assert login(server, "root", ADMIN_PASSWORD, {"X-Forwarded-For": "198.51.100.7"})[1].status_code == 200
    # Only the proxy's own entry counts: a client cannot pick a fresh address by prepending one.
    spoofed = {"X-Forwarded-For": "10.9.9.9, 203.0.113.5"}
    assert login(server, "root", "guess", spoofed)[1].status_code == 429


def test_without_trusted_proxies_forwarded_for_is_ignored(deployment):
    server = deployment.serve(CADENZA_LOGIN_LIMIT_PER_IP=2, CADENZA_LOGIN_LIMIT_PER_ACCOUNT=1000, CADENZA_RATE_WINDOW_SECONDS=86400)
    admin_token(deployment, server)
    codes = [login(server, "root", "guess", {"X-Forwarded-For": f"203.0.113.{i}"})[1].status_code for i in range(3)]
    assert codes == [401, 401, 429]


def test_setup_checks_its_token_before_hashing(deployment):
    server = deployment.serve(CADENZA_BCRYPT_COST=14)
    body = {"username": "first", "password": "first-password-1"}

    def timed(token):
        started = time.time()
        r = requests.post(server.url + "/api/v1/setup", json=body | {"token": token}, timeout=60)
        return r, time.time() - started

    wrong = [timed("not-the-token-%d" % i) for i in range(3)]
    assert all(r.status_code == 403 and r.json()["error"]["code"] == "invalid_setup_token" for r, _ in wrong)
    # A sign-in attempt (bcrypt at the same cost) is the yardstick: no machine-dependent number.
    created = deployment.run("user", "create", "--admin", "root", stdin=ADMIN_PASSWORD + "\n", CADENZA_BCRYPT_COST=14)
    assert created.returncode == 0, created.stderr
    started = time.time()
    assert login(server, "root", ADMIN_PASSWORD)[1].status_code == 200
    hashing = time.time() - started
    assert max(t for _, t in wrong) < hashing / 2, (wrong, hashing)


def test_a_password_change_signs_out_what_the_old_password_let_in(deployment):
    server = deployment.serve(**OPEN)
    token = admin_token(deployment, server)
    assert requests.put(server.url + "/api/v1/me/subsonic-password", json={"password": APP_PASSWORD, "currentPassword": ADMIN_PASSWORD},
                        headers=auth(token)).status_code == 200
    here, _ = login(server, "root", ADMIN_PASSWORD)
    elsewhere, _ = login(server, "root", ADMIN_PASSWORD)
    sk = ok(call(server, "auth.getMobileSession", {"username": "root", "password": ADMIN_PASSWORD})).find("session/key").text
    t = int(time.time())
    hs = requests.get(server.url + "/scrobbler/", params={"hs": "true", "p": "1.2", "c": "tst", "v": "1", "u": "root", "t": t,
                                                         "a": md5(md5(APP_PASSWORD) + str(t))}).text.split("\n")
    assert hs[0] == "OK"
    sessions = requests.get(server.url + "/api/v1/me/scrobbler-sessions", headers=auth(token)).json()
    assert sorted(s["protocol"] for s in sessions) == ["audioscrobbler", "lastfm"]
    assert all(re.fullmatch(r"[0-9a-f]{16}", s["id"]) for s in sessions)

    r = here.put(server.url + "/api/v1/me/password", json={"currentPassword": ADMIN_PASSWORD, "newPassword": "brand-new-password"})
    assert r.status_code == 200, r.text
    # admin_token signed in once too: both other sessions end, this one stays.
    assert r.json() == {"signedOutSessions": 2, "revokedTokens": 0, "revokedScrobblers": True}
    assert here.get(server.url + "/api/v1/me").status_code == 200
    assert elsewhere.get(server.url + "/api/v1/me").status_code == 401
    assert requests.get(server.url + "/api/v1/me", headers=auth(token)).status_code == 200   # kept unless asked
    assert wait_for(lambda: requests.get(server.url + "/api/v1/me/scrobbler-sessions", headers=auth(token)).json() == [])
    assert failed(call(server, "track.updateNowPlaying", {"sk": sk, "artist": "A", "track": "T"}))[0] == 9
    np = requests.post(server.url + "/scrobbler/np_1.2", data={"s": hs[1], "a": "A", "t": "T"}).text
    assert np.startswith("BADSESSION"), np
    assert login(server, "root", ADMIN_PASSWORD)[1].status_code == 401

    r = here.put(server.url + "/api/v1/me/password",
                 json={"currentPassword": "brand-new-password", "newPassword": "third-password-1", "revokeTokens": True})
    assert r.status_code == 200 and r.json()["revokedTokens"] == 1
    assert requests.get(server.url + "/api/v1/me", headers=auth(token)).status_code == 401


def test_a_scrobbler_session_can_be_listed_and_signed_out(deployment):
    server = deployment.serve(**OPEN)
    token = admin_token(deployment, server)
    first = ok(call(server, "auth.getMobileSession", {"username": "root", "password": ADMIN_PASSWORD})).find("session/key").text
    second = ok(call(server, "auth.getMobileSession", {"username": "root", "password": ADMIN_PASSWORD})).find("session/key").text
    listed = requests.get(server.url + "/api/v1/me/scrobbler-sessions", headers=auth(token)).json()
    assert len(listed) == 2
    # Another user cannot end them.
    requests.post(server.url + "/api/v1/users", json={"username": "other", "password": "password-o"}, headers=auth(token))
    other = token_for(server, "other", "password-o")
    assert requests.delete(f"{server.url}/api/v1/me/scrobbler-sessions/{listed[0]['id']}", headers=auth(other)).status_code == 404
    assert requests.delete(f"{server.url}/api/v1/me/scrobbler-sessions/{listed[0]['id']}", headers=auth(token)).status_code == 204
    assert requests.delete(f"{server.url}/api/v1/me/scrobbler-sessions/zz", headers=auth(token)).status_code == 404
    alive = [ok_or_none(server, sk) for sk in (first, second)]
    assert alive.count(True) == 1 and alive.count(False) == 1


def ok_or_none(server, sk):
    r = call(server, "track.updateNowPlaying", {"sk": sk, "artist": "A", "track": "T"})
    return 'status="ok"' in r.text


def test_token_scopes_limit_a_token_to_its_protocol(deployment):
    server = deployment.serve(**OPEN)
    full = admin_token(deployment, server)
    made = {}
    for scope in ("listens", "subsonic"):
        r = requests.post(server.url + "/api/v1/tokens", json={"name": scope, "scope": scope}, headers=auth(full))
        assert r.status_code == 201 and r.json()["scope"] == scope, r.text
        made[scope] = r.json()["token"]
    assert requests.post(server.url + "/api/v1/tokens", json={"name": "x", "scope": "root"}, headers=auth(full)).status_code == 422
    listed = {t["name"]: t["scope"] for t in requests.get(server.url + "/api/v1/tokens", headers=auth(full)).json()}
    assert listed == {"e2e": "full", "listens": "listens", "subsonic": "subsonic"}

    listens, subsonic = made["listens"], made["subsonic"]
    # The REST API (minting tokens, reading the app password) needs a full-access token.
    for t in (listens, subsonic):
        r = requests.post(server.url + "/api/v1/tokens", json={"name": "escalate"}, headers=auth(t))
        assert r.status_code == 403 and r.json()["error"]["code"] == "insufficient_scope"
        assert requests.get(server.url + "/api/v1/me", headers=auth(t)).status_code == 403
    listen = {"listen_type": "single", "payload": [{"listened_at": int(time.time()), "track_metadata": {"artist_name": "A", "track_name": "T"}}]}
    assert requests.post(server.url + "/1/submit-listens", json=listen, headers={"Authorization": f"Token {listens}"}).status_code == 200
    assert requests.post(server.url + "/1/submit-listens", json=listen, headers={"Authorization": f"Token {subsonic}"}).status_code == 401
    assert requests.get(server.url + "/1/validate-token", headers={"Authorization": f"Token {subsonic}"}).json()["valid"] is False
    assert requests.get(server.url + "/1/validate-token", headers={"Authorization": f"Token {listens}"}).json()["valid"] is True

    def ping(key):
        return requests.get(server.url + "/rest/ping", params={"apiKey": key, "f": "json", "v": "1.16.1", "c": "t"}).json()["subsonic-response"]
    assert ping(subsonic)["status"] == "ok" and ping(full)["status"] == "ok"
    assert ping(listens)["error"]["code"] == 44


def test_subsonic_change_password_needs_eight_characters(deployment):
    server = deployment.serve()
    token = admin_token(deployment, server)
    requests.put(server.url + "/api/v1/me/subsonic-password", json={"password": APP_PASSWORD, "currentPassword": ADMIN_PASSWORD}, headers=auth(token))
    base = {"u": "root", "p": APP_PASSWORD, "f": "json", "v": "1.16.1", "c": "t", "username": "root"}
    short = requests.get(server.url + "/rest/changePassword", params=base | {"password": "abcd"}).json()["subsonic-response"]
    assert short["status"] == "failed" and short["error"]["code"] == 0
    fine = requests.get(server.url + "/rest/changePassword", params=base | {"password": "abcdefgh"}).json()["subsonic-response"]
    assert fine["status"] == "ok"


def test_look_alike_usernames_are_refused(deployment):
    server = deployment.serve()
    token = admin_token(deployment, server)

    def create(name):
        return requests.post(server.url + "/api/v1/users", json={"username": name, "password": "password-x1"}, headers=auth(token))
    assert create("alice").status_code == 201
    assert create("ａｌｉｃｅ").status_code == 422            # fullwidth
    assert create("аlice").status_code == 422               # Cyrillic а among Latin letters
    assert create("ace").status_code == 201
    taken = create("АСЕ")                                    # every letter Cyrillic, looks like ACE
    assert taken.status_code == 409 and "looks like" in taken.json()["error"]["message"]
    assert create("ROOT").status_code == 409                 # case only
    assert create("Дмитрий").status_code == 201              # a Cyrillic name of its own is fine


def test_guessing_from_one_place_does_not_lock_the_owner_out_from_another(deployment):
    server = deployment.serve(CADENZA_TRUSTED_PROXIES="127.0.0.1", CADENZA_LOGIN_LIMIT_PER_ACCOUNT=3,
                              CADENZA_LOGIN_LIMIT_PER_IP=1000, CADENZA_RATE_WINDOW_SECONDS=86400)
    admin_token(deployment, server)
    attacker, owner = {"X-Forwarded-For": "203.0.113.66"}, {"X-Forwarded-For": "198.51.100.20"}
    assert [login(server, "root", "guess", attacker)[1].status_code for _ in range(4)] == [401, 401, 401, 429]
    assert login(server, "root", ADMIN_PASSWORD, owner)[1].status_code == 200
    # Guesses spread over many addresses still meet the account-wide budget (ten times as large).
    codes = [login(server, "root", "guess", {"X-Forwarded-For": f"192.0.2.{i}"})[1].status_code for i in range(40)]
    assert codes.count(429) >= 10, codes


def test_subsonic_guessing_from_one_place_does_not_lock_the_owners_apps_out(deployment):
    server = deployment.serve(CADENZA_TRUSTED_PROXIES="127.0.0.1", CADENZA_LOGIN_LIMIT_PER_ACCOUNT=3, CADENZA_RATE_WINDOW_SECONDS=86400)
    token = admin_token(deployment, server)
    requests.put(server.url + "/api/v1/me/subsonic-password", json={"password": APP_PASSWORD, "currentPassword": ADMIN_PASSWORD}, headers=auth(token))

    def ping(password, address):
        params = {"u": "root", "p": password, "f": "json", "v": "1.16.1", "c": "t"}
        reply = requests.get(server.url + "/rest/ping", params=params, headers={"X-Forwarded-For": address}).json()["subsonic-response"]
        return reply["status"] if reply["status"] == "ok" else reply["error"]["code"]
    assert [ping("guess", "203.0.113.66") for _ in range(4)] == [40, 40, 40, 40]
    assert ping(APP_PASSWORD, "203.0.113.66") == 40   # that address's budget is spent, right password or not
    assert ping(APP_PASSWORD, "198.51.100.20") == "ok"

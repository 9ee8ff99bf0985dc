"""Federation between real processes on loopback: two Cadenza instances with their own
databases, an independent Python peer (its own signing and verifying, fedpeer.py) and
fediverse-pasture's actor verifier (bovine) — real HTTP, signed both ways."""
import hashlib
import json
import os
import tempfile
import threading
import time

import pytest
import requests

from conftest import Deployment, admin_token, auth, free_port, token_for, wait_for
from fedpeer import Peer, http_date, sign

FEDERATION_ENV = {
    "CADENZA_FEDERATION_ALLOW_HTTP": "1",
    "CADENZA_FEDERATION_PRIVATE_ADDRESSES": "1",
    "CADENZA_FEDERATION_RETRY_SECONDS": "1",
}
AP = {"Accept": "application/activity+json"}


@pytest.fixture
def other_deployment():
    with tempfile.TemporaryDirectory(prefix="cadenza-e2e-b-") as tmp:
        d = Deployment(tmp, migrated=True)
        try:
            yield d
        finally:
            d.close()


@pytest.fixture
def peer():
    p = Peer()
    yield p
    try:
        p.stop()
    except Exception:  # noqa: BLE001 - already stopped by the test
        pass


def instance(deployment, **env):
    server = deployment.serve(**{**FEDERATION_ENV, **env})
    return server, admin_token(deployment, server)


def user(deployment, server, admin, name):
    r = requests.post(server.url + "/api/v1/users", headers=auth(admin), json={"username": name, "password": "password-123"})
    assert r.status_code == 201, r.text
    return token_for(server, name, "password-123")


def folder_library(server, token, path, visibility):
    r = requests.post(server.url + "/api/v1/libraries", headers=auth(token),
                      json={"name": f"{visibility} shelf", "visibility": visibility, "kind": "folders"})
    assert r.status_code == 201, r.text
    library = r.json()["id"]
    r = requests.post(f"{server.url}/api/v1/libraries/{library}/folders", headers=auth(token), json={"path": str(path)})
    assert r.status_code == 201, r.text
    assert wait_for(lambda: requests.get(f"{server.url}/api/v1/libraries/{library}/files", headers=auth(token)).json()["items"]
                    and all(f["status"] == "imported" for f in requests.get(
                        f"{server.url}/api/v1/libraries/{library}/files", headers=auth(token)).json()["items"]), timeout=60)
    return library


def authority(server):
    return f"127.0.0.1:{server.port}"


# -- discovery ---------------------------------------------------------------------------------


def test_webfinger_nodeinfo_and_actor_documents(deployment):
    server, admin = instance(deployment)
    user(deployment, server, admin, "alice")
    host = authority(server)

    r = requests.get(server.url + "/.well-known/webfinger", params={"resource": f"acct:alice@{host}"})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/jrd+json")
    finger = r.json()
    assert finger["subject"] == f"acct:alice@{host}"
    actor_id = next(link["href"] for link in finger["links"] if link["rel"] == "self")
    assert actor_id == f"{server.url}/federation/actors/alice"
    # The port is part of the domain: another authority's account is not ours.
    assert requests.get(server.url + "/.well-known/webfinger", params={"resource": "acct:alice@127.0.0.1"}).status_code == 404
    assert requests.get(server.url + "/.well-known/webfinger", params={"resource": f"acct:nobody@{host}"}).status_code == 404
    assert requests.get(server.url + "/.well-known/webfinger").status_code == 400

    for accept in ["application/activity+json", 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"']:
        r = requests.get(actor_id, headers={"Accept": accept})
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/activity+json")
        actor = r.json()
        assert "https://www.w3.org/ns/activitystreams" in actor["@context"]
        assert actor["id"] == actor_id and actor["type"] == "Person" and actor["preferredUsername"] == "alice"
        for key in ["inbox", "outbox", "followers", "following"]:
            assert actor[key].startswith(actor_id)
        assert actor["endpoints"]["sharedInbox"] == server.url + "/federation/inbox"
        assert actor["publicKey"]["id"] == actor_id + "#main-key" and actor["publicKey"]["owner"] == actor_id
        assert actor["publicKey"]["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")
    # Keys are made once and kept.
    assert requests.get(actor_id, headers=AP).json()["publicKey"] == actor["publicKey"]

    links = requests.get(server.url + "/.well-known/nodeinfo").json()["links"]
    rels = {link["rel"].rsplit("/", 1)[1]: link["href"] for link in links}
    assert set(rels) == {"2.0", "2.1"}
    for version, href in rels.items():
        info = requests.get(href).json()
        assert info["version"] == version and info["software"]["name"] == "cadenza"
        assert info["protocols"] == ["activitypub"] and info["usage"]["users"]["total"] == 2
        service = requests.get(info["metadata"]["actorId"], headers=AP).json()
        assert service["type"] == "Service" and service["publicKey"]["owner"] == service["id"]


def test_fediverse_pasture_fetches_our_actor_and_posts_signed_to_our_inbox(deployment, tmp_path):
    """bovine (through fediverse-pasture's verify_actor) reads our actor, resolves it back by
    WebFinger, fetches it with and without a signature, and posts signed and unsigned Likes."""
    pytest.importorskip("fediverse_pasture")
    server, admin = instance(deployment)
    user(deployment, server, admin, "alice")
    port = free_port()
    script = f"""
import os, sys
os.chdir({str(tmp_path)!r})
from fediverse_pasture.verify_actor import build_app
build_app(False, "127.0.0.1:{port}", False, 20).run(host="127.0.0.1", port={port})
"""
    import subprocess
    import sys
    log = open(tmp_path / "pasture.log", "w")
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=log, stderr=subprocess.STDOUT)
    try:
        def up():
            try:
                return requests.get(f"http://127.0.0.1:{port}/static/styles.css", timeout=1).status_code == 200
            except requests.ConnectionError:
                return False
        assert wait_for(up, timeout=60), open(tmp_path / "pasture.log").read()[-2000:]
        r = requests.get(f"http://127.0.0.1:{port}/", params={"actor_uri": f"{server.url}/federation/actors/alice"},
                         headers={"Accept": "application/json"}, timeout=120)
        assert r.status_code == 200, r.text
        result = r.json()["result"]
        assert result["webfinger"] is True, r.json()["messages"]
        for name in ["alice", "bob", "claire", "dean", "emily", "frank"]:
            assert result[name]["get_actor"] is True, (name, r.json()["messages"])
        # Unsigned posts are refused; signed ones (claire's key needs a signed GET) are taken.
        assert result["alice"]["post_inbox"] is False and result["dean"]["post_inbox"] is False
        for name in ["bob", "claire", "emily", "frank"]:
            assert result[name]["post_inbox"] is True, (name, r.json()["messages"])
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


# -- following libraries --------------------------------------------------------------------------


def test_following_a_public_library_on_another_instance(deployment, other_deployment, music):
    a, a_admin = instance(deployment)
    b, b_admin = instance(other_deployment)
    library = folder_library(a, a_admin, music, "public")
    bob = user(other_deployment, b, b_admin, "bob")

    url = f"{a.url}/federation/libraries/{library}"
    found = requests.get(b.url + "/api/v1/federation/lookup", params={"q": url}, headers=auth(bob))
    assert found.status_code == 200, found.text
    assert found.json()["kind"] == "library" and found.json()["totalItems"] == 3
    assert found.json()["handle"] == f"@root@{authority(a)}"

    r = requests.post(b.url + "/api/v1/federation/follows", headers=auth(bob), json={"target": url})
    assert r.status_code == 201, r.text
    follow = r.json()
    assert follow["status"] == "pending" and follow["object"] == url

    # A accepts on its own (the library is public); the Accept names B's Follow, so B takes it.
    assert wait_for(lambda: requests.get(b.url + "/api/v1/federation/follows", headers=auth(bob)).json()[0]["status"] == "approved")
    r = requests.get(a.url + "/api/v1/federation/followers", headers=auth(a_admin))
    assert r.status_code == 200, r.text
    followers = r.json()
    assert [(f["remote"], f["status"], f["libraryId"]) for f in followers] == [(f"@bob@{authority(b)}", "approved", int(library))]

    # Asking again is the same follow; stopping sends Undo and A forgets the follower.
    again = requests.post(b.url + "/api/v1/federation/follows", headers=auth(bob), json={"target": url})
    assert again.status_code == 200 and again.json()["id"] == follow["id"]
    assert requests.delete(f"{b.url}/api/v1/federation/follows/{follow['id']}", headers=auth(bob)).status_code == 204
    assert wait_for(lambda: requests.get(a.url + "/api/v1/federation/followers", headers=auth(a_admin)).json() == [])


def test_a_private_library_needs_approval_before_anything_is_shown(deployment, music, peer):
    a, admin = instance(deployment)
    library = folder_library(a, admin, music, "instance")
    url = f"{a.url}/federation/libraries/{library}"

    follow = peer.activity("Follow", url)
    assert peer.post(a.url + "/federation/inbox", follow).status_code == 202
    pending = wait_for(lambda: requests.get(a.url + "/api/v1/federation/followers", headers=auth(admin)).json())
    assert pending[0]["status"] == "pending" and pending[0]["remote"] == f"@peer@{peer.authority}"
    # The owner hears of it.
    assert wait_for(lambda: any(n["type"] == "federation.follow_requested"
                                for n in requests.get(a.url + "/api/v1/notifications", headers=auth(admin)).json()["items"]))

    page = f"{url}?page=1"
    assert requests.get(page, headers=AP).status_code == 401
    assert peer.get(page).status_code == 403
    assert requests.get(url, headers=AP).json()["totalItems"] == 3  # the library itself is no secret

    r = requests.post(f"{a.url}/api/v1/federation/followers/{pending[0]['id']}/approve", headers=auth(admin))
    assert r.status_code == 200 and r.json()["status"] == "approved"
    accepts = wait_for(lambda: peer.inbox_items("Accept"))
    accept, verified = accepts[0]
    assert verified == f"{a.url}/federation/actors/root#main-key", verified  # signed by the library's owner
    assert accept["object"]["id"] == follow["id"]  # the Follow's id, verbatim
    assert accept["actor"] == f"{a.url}/federation/actors/root"

    items = peer.get(page).json()["items"]
    assert len(items) == 3
    audio = next(i for i in items if i["track"]["name"] == "Night River")
    assert audio["type"] == "Audio" and audio["url"]["mediaType"] == "audio/mpeg"
    assert audio["track"]["album"]["name"] == "Glass Echo" and audio["track"]["artists"][0]["name"] == "Kaloven"
    # The bytes, whole and by Range, are the file's.
    original = (music / "Kaloven/Glass Echo/01.mp3").read_bytes()
    stream = audio["url"]["href"]
    assert requests.get(stream).status_code == 401
    whole = peer.get(stream)
    assert whole.status_code == 200 and hashlib.sha256(whole.content).digest() == hashlib.sha256(original).digest()
    part = requests.get(stream, headers={**sign(peer.key, peer.key_id, "GET", stream), "Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == original[100:200]


def test_follow_answers_echo_the_follow_and_undo_removes_it(deployment, peer):
    server, admin = instance(deployment)
    user(deployment, server, admin, "alice")
    alice = f"{server.url}/federation/actors/alice"
    follow = peer.activity("Follow", alice)
    assert peer.post(server.url + "/federation/actors/alice/inbox", follow).status_code == 202
    accept, verified = wait_for(lambda: peer.inbox_items("Accept"))[0]
    # The same activity again (a peer retrying after a lost answer): taken, and not worked twice.
    assert peer.post(server.url + "/federation/inbox", follow).status_code == 202
    time.sleep(2)
    assert len(peer.inbox_items("Accept")) == 1
    assert verified == alice + "#main-key" and accept["object"]["id"] == follow["id"] and accept["actor"] == alice
    followers = requests.get(server.url + "/api/v1/federation/followers", headers=auth(token_for(server, "alice", "password-123"))).json()
    assert [(f["kind"], f["status"]) for f in followers] == [("person", "approved")]

    undo = peer.activity("Undo", follow)
    assert peer.post(server.url + "/federation/inbox", undo).status_code == 202
    assert wait_for(lambda: requests.get(server.url + "/api/v1/federation/followers", headers=auth(admin)).json() == [])

    # A follow of something that does not exist is refused, not left waiting.
    missing = peer.activity("Follow", f"{server.url}/federation/libraries/999")
    assert peer.post(server.url + "/federation/inbox", missing).status_code == 202
    reject, _ = wait_for(lambda: peer.inbox_items("Reject"))[0]
    assert reject["object"]["id"] == missing["id"]


# -- signatures ---------------------------------------------------------------------------------


def test_the_inbox_refuses_every_bad_signature_and_ignores_replays(deployment, peer):
    server, admin = instance(deployment)
    inbox = server.url + "/federation/inbox"
    like = peer.activity("Like", server.url + "/federation/service")
    body = json.dumps(like).encode()

    def post(headers, data=body):
        return requests.post(inbox, data=data, headers=headers, timeout=15)

    good = sign(peer.key, peer.key_id, "POST", inbox, body=body)
    assert post({k: v for k, v in good.items() if k != "signature"}).status_code == 401  # unsigned
    assert post(good, data=body.replace(b"Like", b"Lake")).status_code == 401  # tampered body
    no_digest = sign(peer.key, peer.key_id, "POST", inbox, body=body, covered=["(request-target)", "host", "date"])
    assert post(no_digest).status_code == 401  # digest not signed
    old = sign(peer.key, peer.key_id, "POST", inbox, body=body, date=http_date(time.time() - 3 * 3600))
    assert post(old).status_code == 401  # outside the Date window
    wrong_target = sign(peer.key, peer.key_id, "POST", server.url + "/federation/actors/root/inbox", body=body)
    assert post(wrong_target).status_code == 401  # signed for another path
    elsewhere = sign(peer.key, peer.key_id, "POST", "http://127.0.0.1:1/federation/inbox", body=body)
    assert post({**elsewhere, "host": authority(server)}).status_code == 401  # signed for another server, replayed here
    other = Peer(name="other")
    try:
        as_other = sign(other.key, other.key_id, "POST", inbox, body=body)
        assert post(as_other).status_code == 401  # actor ≠ signer
        forged = sign(other.key, peer.key_id, "POST", inbox, body=body)
        assert post(forged).status_code == 401  # someone else's keyId
    finally:
        other.stop()
    unknown = sign(peer.key, "http://127.0.0.1:9/actor#main-key", "POST", inbox, body=body)
    assert post(unknown).status_code == 401  # a key that cannot be fetched
    assert requests.post(inbox, data=b"not json", headers=sign(peer.key, peer.key_id, "POST", inbox, body=b"not json")).status_code == 400
    big = b"{" + b" " * (1 << 20) + b"}"
    assert requests.post(inbox, data=big, headers=sign(peer.key, peer.key_id, "POST", inbox, body=big)).status_code == 413

    assert post(good).status_code == 202
    assert post(sign(peer.key, peer.key_id, "POST", inbox, body=body)).status_code == 202  # a replay: taken, not stored twice
    # hs2019, as newer senders name it, is RSA-SHA256 here too; an unknown algorithm is refused.
    other_body = json.dumps(peer.activity("Like", "x")).encode()
    renamed = sign(peer.key, peer.key_id, "POST", inbox, body=other_body)
    unknown_algorithm = dict(renamed, signature=renamed["signature"].replace('algorithm="rsa-sha256"', 'algorithm="ed25519"'))
    assert requests.post(inbox, data=other_body, headers=unknown_algorithm).status_code == 401
    renamed["signature"] = renamed["signature"].replace('algorithm="rsa-sha256"', 'algorithm="hs2019"')
    assert requests.post(inbox, data=other_body, headers=renamed).status_code == 202


def test_a_rotated_key_is_fetched_again(deployment, peer):
    server, admin = instance(deployment)
    inbox = server.url + "/federation/inbox"
    assert peer.post(inbox, peer.activity("Like", "x")).status_code == 202
    from fedpeer import new_key
    peer.key = new_key()  # the peer rotates: our cached key no longer verifies, so we fetch it again
    assert peer.post(inbox, peer.activity("Like", "y")).status_code == 202

    # And ours: after a rotation, what we send is signed with the new key, which peers fetch.
    user(deployment, server, admin, "alice")
    before = requests.get(server.url + "/federation/actors/alice", headers=AP).json()["publicKey"]["publicKeyPem"]
    assert requests.post(server.url + "/api/v1/federation/keys/rotate", headers=auth(admin), json={"username": "alice"}).status_code == 204
    after = requests.get(server.url + "/federation/actors/alice", headers=AP).json()["publicKey"]["publicKeyPem"]
    assert after != before
    follow = peer.activity("Follow", server.url + "/federation/actors/alice")
    assert peer.post(server.url + "/federation/inbox", follow).status_code == 202
    _, verified = wait_for(lambda: peer.inbox_items("Accept"))[0]
    assert verified == server.url + "/federation/actors/alice#main-key"


# -- delivery and moderation -------------------------------------------------------------------


def test_a_stopped_peer_gets_each_activity_once_when_it_returns(deployment, music, peer):
    a, admin = instance(deployment)
    library = folder_library(a, admin, music, "instance")
    follow = peer.activity("Follow", f"{a.url}/federation/libraries/{library}")
    assert peer.post(a.url + "/federation/inbox", follow).status_code == 202
    pending = wait_for(lambda: requests.get(a.url + "/api/v1/federation/followers", headers=auth(admin)).json())
    peer.stop()
    assert requests.post(f"{a.url}/api/v1/federation/followers/{pending[0]['id']}/approve", headers=auth(admin)).status_code == 200
    host = peer.authority
    assert wait_for(lambda: any(d["authority"] == host and d["deliveries"].get("queued") for d in
                                requests.get(a.url + "/api/v1/federation/domains", headers=auth(admin)).json()))
    time.sleep(2)  # at least one failed try
    peer.restart()
    assert wait_for(lambda: peer.inbox_items("Accept"), timeout=60)
    time.sleep(3)
    assert len(peer.inbox_items("Accept")) == 1
    domains = requests.get(a.url + "/api/v1/federation/domains", headers=auth(admin)).json()
    assert next(d for d in domains if d["authority"] == host)["deliveries"] == {"sent": 1}


def test_a_blocked_domain_is_refused_both_ways(deployment, music, peer):
    server, admin = instance(deployment)
    user(deployment, server, admin, "alice")
    library = folder_library(server, admin, music, "instance")
    host = peer.authority
    # Before the block: a follow of a private library waits for the owner.
    follow = peer.activity("Follow", f"{server.url}/federation/libraries/{library}")
    assert peer.post(server.url + "/federation/inbox", follow).status_code == 202
    pending = wait_for(lambda: requests.get(server.url + "/api/v1/federation/followers", headers=auth(admin)).json())

    r = requests.put(f"{server.url}/api/v1/federation/domains/{host}", headers=auth(admin), json={"policy": "block", "note": "spam"})
    assert r.status_code == 200 and r.json()["policy"] == "block" and r.json()["note"] == "spam"
    assert peer.post(server.url + "/federation/inbox", peer.activity("Follow", server.url + "/federation/actors/alice")).status_code == 403
    assert peer.get(f"{server.url}/federation/libraries/{library}?page=1").status_code == 403
    # What we would send there is not sent.
    assert requests.post(f"{server.url}/api/v1/federation/followers/{pending[0]['id']}/approve", headers=auth(admin)).status_code == 200
    stats = wait_for(lambda: {d["authority"]: d for d in requests.get(
        server.url + "/api/v1/federation/domains", headers=auth(admin)).json()}[host]["deliveries"].get("dropped"))
    assert stats == 1
    time.sleep(1)
    assert peer.inbox_items() == []
    assert requests.put(f"{server.url}/api/v1/federation/domains/not a host", headers=auth(admin), json={"policy": "block"}).status_code == 400
    assert requests.put(f"{server.url}/api/v1/federation/domains/{host}", headers=auth(admin), json={"policy": "nope"}).status_code == 400

    # Lifted: the peer is heard again.
    assert requests.delete(f"{server.url}/api/v1/federation/domains/{host}", headers=auth(admin)).status_code == 204
    assert peer.post(server.url + "/federation/inbox", peer.activity("Follow", server.url + "/federation/actors/alice")).status_code == 202
    assert wait_for(lambda: peer.inbox_items("Accept"))


def test_allow_list_mode_answers_only_signed_requests_from_allowed_domains(deployment, peer):
    server, admin = instance(deployment, CADENZA_FEDERATION_ALLOW_LIST="1")
    user(deployment, server, admin, "alice")
    actor = server.url + "/federation/actors/alice"
    assert requests.get(actor, headers=AP).status_code == 401
    assert peer.get(actor).status_code == 403
    assert peer.post(server.url + "/federation/inbox", peer.activity("Like", actor)).status_code == 403
    # The instance actor stays readable: peers need its key to check what we send.
    assert requests.get(server.url + "/federation/service", headers=AP).status_code == 200
    assert requests.put(f"{server.url}/api/v1/federation/domains/{peer.authority}", headers=auth(admin),
                        json={"policy": "allow"}).status_code == 200
    assert peer.get(actor).status_code == 200
    assert peer.post(server.url + "/federation/inbox", peer.activity("Like", actor)).status_code == 202
    info = requests.get(server.url + "/nodeinfo/2.1").json()
    assert info["metadata"]["allowList"] == {"enabled": True, "domains": [peer.authority]}


# -- music across instances ---------------------------------------------------------------------


def tracks_of(server, token):
    return requests.get(server.url + "/api/v1/tracks", headers=auth(token), params={"limit": 100}).json()["items"]


def test_a_followed_library_joins_the_catalog_streams_through_and_stays_in_step(deployment, other_deployment, music, tmp_path, peer):
    import shutil
    from media import make_audio
    shelf = tmp_path / "shelf"
    shutil.copytree(music, shelf)
    a, a_admin = instance(deployment)
    b, b_admin = instance(other_deployment)
    library = folder_library(a, a_admin, shelf, "public")
    url = f"{a.url}/federation/libraries/{library}"
    bob = user(other_deployment, b, b_admin, "bob")
    assert requests.post(b.url + "/api/v1/federation/follows", headers=auth(bob), json={"target": url}).status_code == 201
    # The independent peer follows too, to count what A sends.
    assert peer.post(a.url + "/federation/inbox", peer.activity("Follow", url)).status_code == 202
    assert wait_for(lambda: peer.inbox_items("Accept"))

    # Accepted, crawled: A's tracks are in bob's catalog, in a library marked remote, his alone.
    assert wait_for(lambda: len(tracks_of(b, bob)) == 3, timeout=60), tracks_of(b, bob)
    mirrors = [lib for lib in requests.get(b.url + "/api/v1/libraries", headers=auth(bob)).json() if lib["kind"] == "remote"]
    assert len(mirrors) == 1 and f"@root@{authority(a)}" in mirrors[0]["name"]
    carol = user(other_deployment, b, b_admin, "carol")
    assert tracks_of(b, carol) == []
    # Someone else here follows it too: their own follow, their own copy.
    r = requests.post(b.url + "/api/v1/federation/follows", headers=auth(carol), json={"target": url})
    assert r.status_code == 201 and r.json()["status"] == "pending", r.text
    assert wait_for(lambda: len(tracks_of(b, carol)) == 3, timeout=60)
    night = next(t for t in tracks_of(b, bob) if t["title"] == "Night River")
    assert night["album"]["name"] == "Glass Echo" and night["artist"] == "Kaloven" and night["trackNumber"] == 1

    # Played on B, fetched from A with bob's key: the same bytes, Range honoured, then from B's copy.
    original = (shelf / "Kaloven/Glass Echo/01.mp3").read_bytes()
    audio = f"{b.url}/api/v1/files/{night['files'][0]['id']}/audio"
    first = requests.get(audio, headers=auth(bob))
    assert first.status_code == 200 and first.content == original
    part = requests.get(audio, headers={**auth(bob), "Range": "bytes=10-109"})
    assert part.status_code == 206 and part.content == original[10:110]
    carol_night = next(t for t in tracks_of(b, carol) if t["title"] == "Night River")
    assert carol_night["files"][0]["id"] != night["files"][0]["id"]
    assert requests.get(audio, headers=auth(carol)).status_code == 404
    # A player asking what it is before playing gets the answer without a trip to A.
    head = requests.head(audio, headers=auth(bob))
    assert head.status_code == 200 and int(head.headers["Content-Length"]) == len(original)
    # A Subsonic client on B plays it too, transcoded when asked.
    assert requests.put(b.url + "/api/v1/me/subsonic-password", json={"password": "bob-subsonic", "currentPassword": "password-123"},
                        headers=auth(bob)).status_code == 200
    sub = {"u": "bob", "p": "bob-subsonic", "v": "1.16.1", "c": "e2e", "f": "json"}
    streamed = requests.get(b.url + "/rest/stream", params={**sub, "id": night["id"]})
    assert streamed.status_code == 200 and streamed.content == original
    low = requests.get(b.url + "/rest/stream", params={**sub, "id": night["id"], "format": "ogg", "maxBitRate": "64"})
    assert low.status_code == 200 and low.content[:4] == b"OggS"

    # A new file on A: one Create reaches each follower domain, and B's catalog has it.
    make_audio(str(shelf / "Milo/Orbit/02.flac"), seconds=2, title="Comet", artist="Milo", album="Orbit")
    assert requests.post(f"{a.url}/api/v1/libraries/{library}/scan", headers=auth(a_admin)).status_code == 202
    assert wait_for(lambda: any(t["title"] == "Comet" for t in tracks_of(b, bob)), timeout=60)
    creates = wait_for(lambda: peer.inbox_items("Create"))
    time.sleep(1)
    creates = peer.inbox_items("Create")
    assert len(creates) == 1 and creates[0][0]["object"]["track"]["name"] == "Comet" and creates[0][1].endswith("/actors/root#main-key")

    # Retagged: Update. Removed: one Delete naming the audio.
    make_audio(str(shelf / "Milo/Orbit/02.flac"), seconds=2, title="Comet (edit)", artist="Milo", album="Orbit")
    assert requests.post(f"{a.url}/api/v1/libraries/{library}/scan", headers=auth(a_admin)).status_code == 202
    assert wait_for(lambda: any(t["title"] == "Comet (edit)" for t in tracks_of(b, bob)), timeout=60)
    assert len(wait_for(lambda: peer.inbox_items("Update"))) == 1
    os.remove(shelf / "Milo/Orbit/02.flac")
    assert requests.post(f"{a.url}/api/v1/libraries/{library}/scan", headers=auth(a_admin)).status_code == 202
    assert wait_for(lambda: len(tracks_of(b, bob)) == 3, timeout=60)
    deletes = wait_for(lambda: peer.inbox_items("Delete"))
    assert deletes[0][0]["object"]["id"] == [creates[0][0]["object"]["id"]]
    assert wait_for(lambda: len(tracks_of(b, carol)) == 3, timeout=30)

    # Unfollowed: the mirror goes, and nothing more is sent to B.
    follow = requests.get(b.url + "/api/v1/federation/follows", headers=auth(bob)).json()[0]
    assert requests.delete(f"{b.url}/api/v1/federation/follows/{follow['id']}", headers=auth(bob)).status_code == 204
    assert wait_for(lambda: tracks_of(b, bob) == [], timeout=30)
    assert len(tracks_of(b, carol)) == 3
    assert wait_for(lambda: sorted(f["remote"] for f in requests.get(a.url + "/api/v1/federation/followers", headers=auth(a_admin)).json())
                    == sorted([f"@peer@{peer.authority}", f"@carol@{authority(b)}"]))


def submit_listen(server, token, track, artist, at):
    doc = {"listen_type": "single", "payload": [{"listened_at": at, "track_metadata": {
        "track_name": track, "artist_name": artist, "release_name": "Far Away"}}]}
    r = requests.post(server.url + "/1/submit-listens", data=json.dumps(doc).encode(), headers={"Authorization": f"Token {token}"})
    assert r.status_code == 200, r.text


def test_listens_reach_followers_on_other_instances_when_public(deployment, other_deployment):
    from conftest import SSEClient
    a, a_admin = instance(deployment)
    b, b_admin = instance(other_deployment)
    alice = user(deployment, a, a_admin, "alice")
    bob = user(other_deployment, b, b_admin, "bob")
    r = requests.post(b.url + "/api/v1/federation/follows", headers=auth(bob), json={"target": f"@alice@{authority(a)}"})
    assert r.status_code == 201 and r.json()["kind"] == "person", r.text
    assert wait_for(lambda: requests.get(b.url + "/api/v1/federation/follows", headers=auth(bob)).json()[0]["status"] == "approved")

    # Listens visible to this instance only stay here.
    now = int(time.time())
    submit_listen(a, alice, "Kept Home", "Nobody", now - 120)
    time.sleep(2)
    assert requests.get(b.url + "/api/v1/me/feed", headers=auth(bob)).json()["listens"] == []

    assert requests.put(a.url + "/api/v1/me/listen-settings", headers=auth(alice), json={"visibility": "public"}).status_code == 200
    stream = SSEClient(b.url, bob)
    try:
        submit_listen(a, alice, "Harbour Lights", "Milo", now - 60)
        live = stream.take_type(1, "listen.remote", timeout=30)
        assert live[0][3]["payload"]["track_metadata"]["track_name"] == "Harbour Lights"
    finally:
        stream.close()
    feed = requests.get(b.url + "/api/v1/me/feed", headers=auth(bob)).json()["listens"]
    assert [(l["user_name"], l["track_metadata"]["track_name"], l["track_metadata"]["release_name"], l["listened_at"]) for l in feed] == [
        (f"@alice@{authority(a)}", "Harbour Lights", "Far Away", now - 60)]
    # Nobody else on B sees it.
    carol = user(other_deployment, b, b_admin, "carol")
    assert requests.get(b.url + "/api/v1/me/feed", headers=auth(carol)).json()["listens"] == []

    follow = requests.get(b.url + "/api/v1/federation/follows", headers=auth(bob)).json()[0]
    assert requests.delete(f"{b.url}/api/v1/federation/follows/{follow['id']}", headers=auth(bob)).status_code == 204
    assert requests.get(b.url + "/api/v1/me/feed", headers=auth(bob)).json()["listens"] == []
    assert wait_for(lambda: requests.get(a.url + "/api/v1/federation/followers", headers=auth(alice)).json() == [])


def test_bad_lookups_and_follows_get_clear_errors_not_traffic(deployment, peer):
    """The operations that reach out are kept out of the API fuzzing (tests stay on loopback):
    their bad input is checked here."""
    server, admin = instance(deployment)
    lookup = lambda q: requests.get(server.url + "/api/v1/federation/lookup", params={"q": q}, headers=auth(admin))
    assert lookup("").status_code == 400
    for q in ["nobody", "@", "@@", "x" * 1001, f"@me@{authority(server)}", f"{server.url}/federation/actors/root"]:
        r = lookup(q)
        assert r.status_code == 422 and r.json()["error"]["code"] == "remote_refused", (q, r.text)
    assert lookup("ftp://127.0.0.1/x").status_code == 422
    # A peer that is not there, and one that answers nonsense.
    assert lookup("http://127.0.0.1:9/actor").status_code == 502
    # The peer's WebFinger names its one actor whatever is asked: the handle shown is the actor's own.
    r = lookup(f"@ghost@{peer.authority}")
    assert r.status_code == 200 and r.json()["handle"] == f"@peer@{peer.authority}", r.text
    follows = server.url + "/api/v1/federation/follows"
    assert requests.post(follows, headers=auth(admin), json={}).status_code == 400
    assert requests.post(follows, headers={**auth(admin), "Content-Type": "application/json"}, data=b"not json").status_code == 400
    assert requests.post(follows, headers=auth(admin), json={"target": 12}).status_code == 400
    assert requests.delete(server.url + "/api/v1/federation/follows/999", headers=auth(admin)).status_code == 404
    assert requests.delete(server.url + "/api/v1/federation/follows/x", headers=auth(admin)).status_code == 404
    assert requests.post(server.url + "/api/v1/federation/followers/1/maybe", headers=auth(admin)).status_code == 404
    assert requests.get(server.url + "/api/v1/federation/lookup", params={"q": "@a@b"}).status_code == 401

    off, off_admin = instance(other_deployment := Deployment(tempfile.mkdtemp(prefix="cadenza-e2e-off-")), CADENZA_FEDERATION="0")
    try:
        r = requests.get(off.url + "/api/v1/federation/lookup", params={"q": f"@dana@{peer.authority}"}, headers=auth(off_admin))
        assert r.status_code == 409 and r.json()["error"]["code"] == "federation_disabled"
        assert requests.get(off.url + "/.well-known/webfinger", params={"resource": f"acct:root@{authority(off)}"}).status_code == 404
        assert requests.get(off.url + "/federation/service", headers=AP).status_code == 404
        assert requests.get(off.url + "/nodeinfo/2.0").json()["metadata"]["library"]["federationEnabled"] is False
    finally:
        other_deployment.close()


def serve_again(deployment, server, **env):
    """The instance back after a stop, on the port (and so the domain) it had."""
    import subprocess
    from conftest import BIN, Server
    log = open(os.path.join(os.path.dirname(deployment.data_dir), f"serve-{server.port}-again.log"), "w")
    proc = subprocess.Popen([BIN, "serve", "--port", str(server.port), "--roles", "api,worker,scheduler"], stdout=log,
                            stderr=subprocess.STDOUT, env=deployment.env(**{**FEDERATION_ENV, **env}))
    again = Server(proc, server.port, log)
    deployment.processes.append(again)
    again.wait_ready()
    return again


def test_three_instances_and_one_that_was_down_catches_up(deployment, other_deployment, music, tmp_path):
    import shutil
    from media import make_audio
    shelf = tmp_path / "shelf"
    shutil.copytree(music, shelf)
    with tempfile.TemporaryDirectory(prefix="cadenza-e2e-c-") as tmp:
        third = Deployment(tmp, migrated=True)
        try:
            a, a_admin = instance(deployment)
            b, b_admin = instance(other_deployment)
            c, c_admin = instance(third)
            library = folder_library(a, a_admin, shelf, "public")
            url = f"{a.url}/federation/libraries/{library}"
            for server, token in [(b, b_admin), (c, c_admin)]:
                assert requests.post(server.url + "/api/v1/federation/follows", headers=auth(token), json={"target": url}).status_code == 201
                assert wait_for(lambda: len(tracks_of(server, token)) == 3, timeout=60)
            # C is down while A gains a track: B has it at once, C once it is back (A keeps trying).
            c.kill9()
            make_audio(str(shelf / "Milo/Orbit/03.flac"), seconds=2, title="Nebula", artist="Milo", album="Orbit")
            assert requests.post(f"{a.url}/api/v1/libraries/{library}/scan", headers=auth(a_admin)).status_code == 202
            assert wait_for(lambda: any(t["title"] == "Nebula" for t in tracks_of(b, b_admin)), timeout=60)
            domains = lambda: {d["authority"]: d["deliveries"] for d in requests.get(a.url + "/api/v1/federation/domains", headers=auth(a_admin)).json()}
            assert wait_for(lambda: domains().get(authority(c), {}).get("queued"), timeout=30)
            time.sleep(2)  # at least one failed try
            c = serve_again(third, c)
            assert wait_for(lambda: any(t["title"] == "Nebula" for t in tracks_of(c, c_admin)), timeout=60)
            assert len(tracks_of(c, c_admin)) == 4
            assert "queued" not in domains()[authority(c)] and domains()[authority(c)]["sent"] >= 2
        finally:
            third.close()


def test_a_delivery_that_never_gets_through_is_failed_and_an_administrator_told(deployment, peer):
    server, admin = instance(deployment, CADENZA_FEDERATION_MAX_ATTEMPTS="2")
    user(deployment, server, admin, "alice")
    follow = peer.activity("Follow", server.url + "/federation/actors/alice")
    assert peer.post(server.url + "/federation/inbox", follow).status_code == 202
    assert wait_for(lambda: peer.inbox_items("Accept"))
    peer.stop()  # for good
    missing = peer.activity("Follow", f"{server.url}/federation/libraries/999")
    assert peer.post(server.url + "/federation/inbox", missing).status_code == 202
    stats = lambda: {d["authority"]: d["deliveries"] for d in requests.get(server.url + "/api/v1/federation/domains", headers=auth(admin)).json()}
    assert wait_for(lambda: stats()[peer.authority].get("failed") == 1, timeout=60), stats()
    assert stats()[peer.authority] == {"sent": 1, "failed": 1}
    # The administrators hear of it (the job that gave up).
    assert wait_for(lambda: any(n["type"] == "job.failed" and "federation.deliver" in n["title"] + n["body"]
                                for n in requests.get(server.url + "/api/v1/notifications", headers=auth(admin)).json()["items"]), timeout=30)


def test_a_funkwhale_style_library_edits_its_tracks_albums_and_artists(deployment, music, peer):
    """A library on an independent peer (Funkwhale's shapes): followed, crawled, played through;
    Update of a Track, an Album and an Artist rewrites the copies; Delete of a Track removes it."""
    server, admin = instance(deployment)
    original = (music / "Kaloven/Glass Echo/01.mp3").read_bytes()
    peer.tracks = {"1": ("Tide", "Ora", "Shore", original), "2": ("Drift", "Ora", "Shore", original[:5000])}
    r = requests.post(server.url + "/api/v1/federation/follows", headers=auth(admin), json={"target": peer.library_id})
    assert r.status_code == 201 and r.json()["kind"] == "library", r.text
    follow = wait_for(lambda: peer.inbox_items("Follow"))[0][0]
    assert follow["object"] == peer.library_id
    assert peer.post(server.url + "/federation/inbox", peer.activity("Accept", follow)).status_code == 202
    assert wait_for(lambda: sorted(t["title"] for t in tracks_of(server, admin)) == ["Drift", "Tide"], timeout=60)
    tide = next(t for t in tracks_of(server, admin) if t["title"] == "Tide")
    played = requests.get(f"{server.url}/api/v1/files/{tide['files'][0]['id']}/audio", headers=auth(admin))
    assert played.status_code == 200 and played.content == original
    # Signed with the follower's key: the peer checked it.
    assert any(path == "/audio/1/stream" and key == f"{server.url}/federation/actors/root#main-key" for path, key in peer.fetches)

    def update(kind, key, **fields):
        obj = {"type": kind, "id": f"{peer.base}/{key}", **fields}
        assert peer.post(server.url + "/federation/inbox", peer.activity("Update", obj)).status_code == 202
    update("Track", "tracks/1", name="Tide (remastered)")
    assert wait_for(lambda: any(t["title"] == "Tide (remastered)" for t in tracks_of(server, admin)), timeout=30)
    update("Album", "albums/Shore", name="Shoreline")
    assert wait_for(lambda: {t["album"]["name"] for t in tracks_of(server, admin)} == {"Shoreline"}, timeout=30)
    update("Artist", "artists/Ora", name="Ora Quartet")
    assert wait_for(lambda: {t["artist"] for t in tracks_of(server, admin)} == {"Ora Quartet"}, timeout=30)
    assert next(t for t in tracks_of(server, admin) if t["title"] == "Tide (remastered)")["album"]["name"] == "Shoreline"
    # Deleting the track (not the audio) removes it; the library's other track stays.
    delete = peer.activity("Delete", {"type": "Track", "id": f"{peer.base}/tracks/2"})
    assert peer.post(server.url + "/federation/inbox", delete).status_code == 202
    assert wait_for(lambda: [t["title"] for t in tracks_of(server, admin)] == ["Tide (remastered)"], timeout=30)
    albums = requests.get(server.url + "/api/v1/albums", headers=auth(admin)).json()["items"]
    assert "Shore" not in [a["title"] for a in albums]  # the old album left nothing behind


def test_a_blocked_account_is_refused_and_its_follows_end(deployment, peer):
    server, admin = instance(deployment)
    alice = user(deployment, server, admin, "alice")
    follow = peer.activity("Follow", server.url + "/federation/actors/alice")
    assert peer.post(server.url + "/federation/inbox", follow).status_code == 202
    assert wait_for(lambda: peer.inbox_items("Accept"))
    blocks = server.url + "/api/v1/federation/account-blocks"
    assert requests.post(blocks, headers=auth(alice), json={"account": peer.actor_id}).status_code == 403
    assert requests.post(blocks, headers=auth(admin), json={"account": "@nobody@nowhere.example"}).status_code == 404
    r = requests.post(blocks, headers=auth(admin), json={"account": f"@peer@{peer.authority}", "note": "spam"})
    assert r.status_code == 201 and r.json()["actor"] == peer.actor_id, r.text
    assert requests.get(server.url + "/api/v1/federation/followers", headers=auth(alice)).json() == []
    assert peer.post(server.url + "/federation/inbox", peer.activity("Follow", server.url + "/federation/actors/alice")).status_code == 403
    # Its domain is not blocked: another account there still gets through.
    assert requests.get(server.url + "/api/v1/federation/domains", headers=auth(admin)).json()[0].get("policy") is None
    assert [b["handle"] for b in requests.get(blocks, headers=auth(admin)).json()] == [f"@peer@{peer.authority}"]
    assert requests.delete(blocks, headers=auth(admin), params={"account": peer.actor_id}).status_code == 204
    assert peer.post(server.url + "/federation/inbox", peer.activity("Follow", server.url + "/federation/actors/alice")).status_code == 202
    assert wait_for(lambda: len(peer.inbox_items("Accept")) == 2)

"""Schemathesis against /api/v1/openapi.json: every documented operation, with generated valid
and invalid input, as an administrator and as an ordinary user. No response may be a 5xx, and the
server must be up afterwards. Bounded (examples per operation, a fixed seed) to stay minutes long;
`SCHEMATHESIS_EXAMPLES` raises it for a longer run."""
import json
import os
import shutil
import subprocess
import sys

import pytest
import requests

from conftest import ADMIN_PASSWORD, admin_token, auth, token_for, wait_for

SCHEMATHESIS = shutil.which("schemathesis", path=os.path.dirname(sys.executable))
EXAMPLES = os.environ.get("SCHEMATHESIS_EXAMPLES", "8")

# Operations that end the caller's own credentials would stop the run from testing anything after
# them; each is covered by its own end-to-end test.
KEEP_CREDENTIALS = ["DELETE /tokens/{id}", "POST /auth/logout", "PUT /me/password", "DELETE /users/{id}"]
# Operations that reach out to the server a generated address names (DNS, then HTTP): tests send
# traffic to loopback only, so their bad input is tested in test_federation.py instead.
REACH_OUT = ["GET /federation/lookup", "POST /federation/follows"]


def operations_only_404(output):
    """The operations schemathesis's "Missing test data" warning names."""
    _, found, rest = output.partition("Missing test data:")
    names = set()
    for line in rest.splitlines()[1:] if found else []:
        if line.startswith("  - "):
            names.add(line[4:].strip())
        elif line.strip() and not line.startswith(("No links", "💡")):
            break
    return names


def first_id(server, token, path):
    r = requests.get(server.url + "/api/v1" + path, headers=auth(token))
    body = r.json() if r.status_code == 200 else []
    items = body.get("items", []) if isinstance(body, dict) else body
    return items[0]["id"] if items else None


def real_ids(server, token, who, music, password):
    """Path parameters that name things that exist, so generated requests reach the handlers
    behind the lookups (random ids only ever meet a 404). Each operation then runs with both
    these and generated ids (the explicit examples phase and fuzzing)."""
    def created(path, **kwargs):
        r = requests.post(server.url + "/api/v1" + path, headers=auth(token), **kwargs)
        assert r.status_code in (200, 201, 202), (path, r.status_code, r.text)
        return r.json()["id"]

    track = first_id(server, token, "/tracks")
    ids = {
        "/albums/{id}": first_id(server, token, "/albums"),
        "/artists/{id}": first_id(server, token, "/artists"),
        "/tracks/{id}": track,
        "/playlists/{id}": created("/playlists", json={"name": "fuzzed", "trackIds": [track]}),
        "/me/lastfm-keys/{id}": created("/me/lastfm-keys", json={"name": "fuzzed"}),
        "/me/listens/imports/{id}": created("/me/listens/imports", files={"file": ("listens.csv", b"Artist,Album,Track,31 Jan 2021 14:05\n")}),
    }
    if who == "admin":
        ids["/libraries/{id}"] = ids["/libraries/{id}/files"] = ids["/libraries/{id}/folders"] = ids["/libraries/{id}/scan"] = first_id(server, token, "/libraries")
        ids["/invites/{id}"] = created("/invites", json={})
        ids["/jobs/{id}"] = ids["/jobs/{id}/cancel"] = ids["/jobs/{id}/retry"] = first_id(server, token, "/jobs")
    detail = requests.get(f"{server.url}/api/v1/tracks/{track}", headers=auth(token)).json()
    tracks = requests.get(server.url + "/api/v1/tracks", headers=auth(token)).json()["items"]
    ids["/artwork/{id}"] = next(t["artworkId"] for t in tracks if t.get("artworkId"))
    ids["/files/{id}/audio"] = detail["files"][0]["id"]
    # A Last.fm desktop session (token, approval, session) to list and end; and a token to approve.
    lastfm = lambda method, **p: requests.post(server.url + "/2.0/", data={"method": method, "api_key": "f" * 32, "format": "json", **p}).json()
    approved = lastfm("auth.getToken")["token"]
    assert requests.post(server.url + "/api/v1/lastfm/approve", json={"token": approved}, headers=auth(token)).status_code == 204
    assert lastfm("auth.getSession", token=approved)["session"]["key"]
    ids["/me/scrobbler-sessions/{id}"] = first_id(server, token, "/me/scrobbler-sessions")
    # The caller's upload library (made by a first upload).
    with open(music / "Milo/Orbit/01.flac", "rb") as f:
        r = requests.post(server.url + "/api/v1/uploads", headers=auth(token), files=[("f", ("first.flac", f.read()))])
    assert r.status_code in (200, 201, 202), r.text
    uploads = next(l["id"] for l in requests.get(server.url + "/api/v1/libraries", headers=auth(token)).json() if l["kind"] == "uploads")
    config = [
        f'[[operations]]\ninclude-path = "/uploads"\ninclude-method = "POST"\nparameters = {{ "query.library" = {json.dumps(uploads)} }}\n',
        f'[[operations]]\ninclude-path = "/lastfm/approve"\nparameters = {{ "body.token" = {json.dumps(lastfm("auth.getToken")["token"])} }}\n',
        f'[[operations]]\ninclude-path = "/me/subsonic-password/reveal"\nparameters = {{ "body.currentPassword" = {json.dumps(password)} }}\n',
    ]
    # A path with a DELETE among other operations gets a second object for the DELETE: otherwise the
    # other operations meet a 404 whenever the DELETE happens to run first.
    deletable = {"/playlists/{id}": created("/playlists", json={"name": "to delete"})}
    for path, value in ids.items():
        assert value is not None, path
        if path in deletable:
            config.append(f'[[operations]]\ninclude-path = "{path}"\ninclude-method = "DELETE"\nparameters = {{ "path.id" = {json.dumps(deletable[path])} }}\n')
            config.append(f'[[operations]]\ninclude-path = "{path}"\nexclude-method = "DELETE"\nparameters = {{ "path.id" = {json.dumps(value)} }}\n')
        else:
            config.append(f'[[operations]]\ninclude-path = "{path}"\nparameters = {{ "path.id" = {json.dumps(value)} }}\n')
    for kind in ("stars", "ratings"):
        config.append(f'[[operations]]\ninclude-path = "/{kind}/{{type}}/{{id}}"\nparameters = {{ "path.type" = "track", "path.id" = {json.dumps(track)} }}\n')
    config.append(f'[[operations]]\ninclude-path = "/follows/{{username}}"\nparameters = {{ "path.username" = "root" }}\n')
    # A station of the caller's for the reads and changes, another for the DELETE.
    for slug in (f"fuzz-{who}", f"fuzz-{who}-gone"):
        r = requests.post(server.url + "/api/v1/stations", headers=auth(token), json={"slug": slug, "name": slug})
        assert r.status_code == 201, r.text
    config.append(f'[[operations]]\ninclude-path = "/stations/{{slug}}"\ninclude-method = "DELETE"\nparameters = {{ "path.slug" = "fuzz-{who}-gone" }}\n')
    config.append(f'[[operations]]\ninclude-path = "/stations/{{slug}}"\nexclude-method = "DELETE"\nparameters = {{ "path.slug" = "fuzz-{who}" }}\n')
    for tail in ("now-playing", "skip", "history", "next", "listeners"):
        config.append(f'[[operations]]\ninclude-path = "/stations/{{slug}}/{tail}"\nparameters = {{ "path.slug" = "fuzz-{who}" }}\n')
    return "\n".join(config)


@pytest.mark.skipif(SCHEMATHESIS is None, reason="schemathesis is installed by tests/requirements.txt")
@pytest.mark.parametrize("who", ["admin", "user"])
def test_no_generated_request_gets_a_server_error(server_with_music, music, who, tmp_path):
    server, admin = server_with_music
    token = admin
    if who == "user":
        requests.post(server.url + "/api/v1/users", json={"username": "fuzzy", "password": "password-fz"}, headers=auth(admin))
        token = token_for(server, "fuzzy", "password-fz")
    config = real_ids(server, token, who, music, ADMIN_PASSWORD if who == "admin" else "password-fz")
    (tmp_path / "schemathesis.toml").write_text(config)
    args = [SCHEMATHESIS, "run", server.url + "/api/v1/openapi.json", "--checks", "not_a_server_error",
            "-H", f"Authorization: Bearer {token}", "--max-examples", EXAMPLES, "--seed", "20261204",
            "--workers", "2", "--report-dir", str(tmp_path)]
    for name in KEEP_CREDENTIALS + REACH_OUT:
        args += ["--exclude-name", name]
    run = subprocess.run(args, capture_output=True, text=True, timeout=900, cwd=tmp_path)
    (tmp_path / "schemathesis.out").write_text(run.stdout)  # the whole report, kept with pytest's temporary directories
    summary = run.stdout[run.stdout.find("FAILURES"):] if "FAILURES" in run.stdout else run.stdout[-3000:]
    assert run.returncode == 0, summary
    assert "Server error" not in run.stdout
    # Every read given real ids got past its lookups at least sometimes (schemathesis lists the
    # operations that only ever met 404s). Writes are not held to it: a DELETE or a one-time approval
    # succeeds once and then rightly meets 404s, and generated bodies name tracks or folders that do
    # not exist — which of those runs first differs from run to run.
    configured = {line.split('"')[1] for line in config.splitlines() if line.startswith("include-path")}
    reads = {name for name in operations_only_404(run.stdout) if name.startswith("GET ") and name.split(" ", 1)[1] in configured}
    assert not reads, reads
    assert wait_for(lambda: requests.get(server.url + "/healthz", timeout=5).status_code == 200, timeout=10)
    log = open(server.log.name).read()
    assert "Fatal error" not in log and "Internal error" not in log

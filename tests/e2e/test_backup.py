"""Backups as an operator makes them: `cadenza backup` while people keep using the server, then
`cadenza restore` on a machine that lost its data directory (and, on PostgreSQL, its database)."""
import json
import os
import shutil
import subprocess
import threading
import time
from urllib.parse import urlparse

import libsonic
import requests

from conftest import ADMIN_PASSWORD, PG_URL, admin_token, auth, wait_for
from media import make_audio

OPEN = {"CADENZA_LISTENS_RATE_LIMIT": 1000000, "CADENZA_LISTENS_RATE_WINDOW": 60}


def test_a_backup_taken_under_load_restores_every_acknowledged_write(deployment, tmp_path):
    server = deployment.serve(**OPEN)
    admin = admin_token(deployment, server)
    assert requests.put(server.url + "/api/v1/me/subsonic-password", json={"password": "sub-pass-1", "currentPassword": ADMIN_PASSWORD},
                        headers=auth(admin)).status_code == 200
    song = make_audio(str(tmp_path / "up" / "song.ogg"), seconds=2, title="Kept Song", artist="Uma", album="Home Tapes")
    data = open(song, "rb").read()
    r = requests.post(server.url + "/api/v1/uploads", headers=auth(admin), files=[("f", ("song.ogg", data, "audio/ogg"))])
    assert r.status_code == 201, r.text
    assert wait_for(lambda: requests.get(server.url + "/api/v1/uploads", headers=auth(admin)).json()["items"][0]["status"] == "imported")

    # Listens keep arriving while the backup runs; each one the server acknowledged is noted.
    acknowledged, stop = [], threading.Event()

    def submit():
        at = 1_700_000_000
        while not stop.is_set():
            at += 1
            r = requests.post(server.url + "/1/submit-listens", headers={"Authorization": f"Token {admin}"}, json={
                "listen_type": "single", "payload": [{"listened_at": at, "track_metadata": {"artist_name": "Uma", "track_name": f"Take {at}"}}]})
            if r.status_code == 200:
                acknowledged.append((time.monotonic(), at))
    writer = threading.Thread(target=submit)
    writer.start()
    try:
        assert wait_for(lambda: len(acknowledged) >= 20, timeout=30)
        backup = tmp_path / "backup"
        started = time.monotonic()
        made = deployment.run("backup", "--to", str(backup))
        time.sleep(0.5)
    finally:
        stop.set()
        writer.join()
    assert made.returncode == 0, made.stderr + made.stdout
    before = [at for t, at in acknowledged if t < started]
    assert len(before) >= 20 and len(acknowledged) > len(before)   # writes went on during the backup
    # The checksums are the ones coreutils checks.
    assert subprocess.run(["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=backup, capture_output=True).returncode == 0
    assert deployment.run("restore", "--from", str(backup)).returncode != 0   # never under a running server
    server.stop()

    # A damaged backup is refused before anything is touched.
    damaged = tmp_path / "damaged"
    shutil.copytree(backup, damaged)
    upload = next(os.path.join(d, f) for d, _, fs in os.walk(damaged / "uploads") for f in fs)
    with open(upload, "r+b") as f:
        f.seek(100)
        f.write(b"\xff\xfe")
    refused = deployment.run("restore", "--from", str(damaged), "--replace")
    assert refused.returncode != 0 and "differ" in refused.stderr + refused.stdout
    # A file the sums do not list, or a manifest naming a folder this version does not back up
    # (here ".", the whole media directory), even with matching sums: refused before anything is touched.
    def resummed(folder):
        sums = subprocess.run("find . -type f ! -name SHA256SUMS -printf '%P\\n' | sort | xargs -d '\\n' sha256sum",
                              shell=True, cwd=folder, capture_output=True, text=True, check=True).stdout
        (folder / "SHA256SUMS").write_text(sums)
    extra = tmp_path / "extra"
    shutil.copytree(backup, extra)
    (extra / "uploads" / "planted.txt").write_text("not from the backup")
    refused = deployment.run("restore", "--from", str(extra), "--replace")
    assert refused.returncode != 0 and "not in SHA256SUMS" in refused.stderr + refused.stdout
    hostile = tmp_path / "hostile"
    shutil.copytree(backup, hostile)
    manifest = json.loads((hostile / "backup.json").read_text())
    manifest["directories"] = ["."]
    (hostile / "backup.json").write_text(json.dumps(manifest))
    resummed(hostile)
    refused = deployment.run("restore", "--from", str(hostile), "--replace")
    assert refused.returncode != 0 and "does not back up" in refused.stderr + refused.stdout
    assert os.path.exists(os.path.join(deployment.data_dir, "cadenza.sqlite")) or deployment.database_url

    # The machine loses its data directory and its database; the backup brings them back.
    shutil.rmtree(deployment.data_dir)
    if deployment.database_url:
        subprocess.run(["psql", PG_URL, "-q", "-c", f"DROP DATABASE {deployment.pg_name} WITH (FORCE)"], check=True, capture_output=True)
        subprocess.run(["psql", PG_URL, "-q", "-c", f"CREATE DATABASE {deployment.pg_name}"], check=True, capture_output=True)
    restored = deployment.run("restore", "--from", str(backup))
    assert restored.returncode == 0, restored.stderr + restored.stdout
    server = deployment.serve(**OPEN)
    listens = requests.get(server.url + "/1/user/root/listens", params={"count": 1000, "min_ts": 1_699_999_999},
                           headers={"Authorization": f"Token {admin}"}).json()["payload"]["listens"]
    kept = {l["listened_at"] for l in listens}
    assert set(before) <= kept, sorted(set(before) - kept)[:5]
    # The uploaded file streams byte for byte to a Subsonic app whose password was sealed with the
    # backed-up secret key (the token too: the same sign-in works).
    client = libsonic.Connection("http://127.0.0.1", "root", "sub-pass-1", port=server.port, appName="cadenza-tests")
    found = client.search3("Kept Song")["searchResult3"]["song"]
    assert len(found) == 1
    assert client.download(found[0]["id"]).read() == data


def test_a_backup_into_another_data_directory_keeps_uploads_playable(deployment, tmp_path):
    server = deployment.serve()
    admin = admin_token(deployment, server)
    assert requests.put(server.url + "/api/v1/me/subsonic-password", json={"password": "sub-pass-1", "currentPassword": ADMIN_PASSWORD},
                        headers=auth(admin)).status_code == 200
    song = make_audio(str(tmp_path / "up" / "moved.ogg"), seconds=1, title="Moved Song", artist="Uma", album="Elsewhere")
    data = open(song, "rb").read()
    assert requests.post(server.url + "/api/v1/uploads", headers=auth(admin), files=[("f", ("moved.ogg", data, "audio/ogg"))]).status_code == 201
    assert wait_for(lambda: requests.get(server.url + "/api/v1/uploads", headers=auth(admin)).json()["items"][0]["status"] == "imported")
    if deployment.database_url:
        # From here on over PostgreSQL's Unix socket, as a server beside its database is often
        # set up: the backup and restore tools are given the socket's directory and port.
        tcp = urlparse(deployment.database_url)
        sockets = subprocess.run(["psql", PG_URL, "-Atc", "SHOW unix_socket_directories"], check=True, capture_output=True, text=True)
        directory = sockets.stdout.strip().split(",")[0].strip()
        deployment.database_url = f"postgres+uds://{tcp.username}@localhost{directory}/.s.PGSQL.{tcp.port}#{deployment.pg_name}"
    assert deployment.run("backup", "--to", str(tmp_path / "b")).returncode == 0
    assert deployment.run("backup", "--to", str(tmp_path / "b")).returncode != 0   # never over another backup
    server.stop()
    # Not under any running node, also one that leads nothing (a second api node).
    api_only = deployment.serve(roles="api")
    refused = deployment.run("restore", "--from", str(tmp_path / "b"), "--replace")
    assert refused.returncode != 0 and "stop every node first" in refused.stderr + refused.stdout, refused.stderr
    api_only.stop()
    old = deployment.data_dir
    deployment.data_dir = str(tmp_path / "new-home" / "data")
    if deployment.database_url:
        subprocess.run(["psql", PG_URL, "-q", "-c", f"DROP DATABASE {deployment.pg_name} WITH (FORCE)"], check=True, capture_output=True)
        subprocess.run(["psql", PG_URL, "-q", "-c", f"CREATE DATABASE {deployment.pg_name}"], check=True, capture_output=True)
    restored = deployment.run("restore", "--from", str(tmp_path / "b"))
    assert restored.returncode == 0, restored.stderr + restored.stdout
    shutil.rmtree(old)
    server = deployment.serve()
    client = libsonic.Connection("http://127.0.0.1", "root", "sub-pass-1", port=server.port, appName="cadenza-tests")
    found = client.search3("Moved Song")["searchResult3"]["song"]
    assert len(found) == 1 and client.download(found[0]["id"]).read() == data   # read from the new data directory

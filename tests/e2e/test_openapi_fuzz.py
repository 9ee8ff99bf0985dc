"""Schemathesis against /api/v1/openapi.json: every documented operation, with generated valid
and invalid input, as an administrator and as an ordinary user. No response may be a 5xx, and the
server must be up afterwards. Bounded (examples per operation, a fixed seed) to stay minutes long;
`SCHEMATHESIS_EXAMPLES` raises it for a longer run."""
import os
import shutil
import subprocess
import sys

import pytest
import requests

from conftest import admin_token, auth, token_for, wait_for

SCHEMATHESIS = shutil.which("schemathesis", path=os.path.dirname(sys.executable))
EXAMPLES = os.environ.get("SCHEMATHESIS_EXAMPLES", "8")

# Operations that end the caller's own credentials would stop the run from testing anything after
# them; each is covered by its own end-to-end test.
KEEP_CREDENTIALS = ["DELETE /tokens/{id}", "POST /auth/logout", "PUT /me/password", "DELETE /users/{id}", "PUT /users/{id}"]


@pytest.mark.skipif(SCHEMATHESIS is None, reason="schemathesis is installed by tests/requirements.txt")
@pytest.mark.parametrize("who", ["admin", "user"])
def test_no_generated_request_gets_a_server_error(server_with_music, who, tmp_path):
    server, admin = server_with_music
    token = admin
    if who == "user":
        requests.post(server.url + "/api/v1/users", json={"username": "fuzzy", "password": "password-fz"}, headers=auth(admin))
        token = token_for(server, "fuzzy", "password-fz")
    args = [SCHEMATHESIS, "run", server.url + "/api/v1/openapi.json", "--checks", "not_a_server_error",
            "-H", f"Authorization: Bearer {token}", "--max-examples", EXAMPLES, "--seed", "20261204",
            "--workers", "2", "--report-dir", str(tmp_path)]
    for name in KEEP_CREDENTIALS:
        args += ["--exclude-name", name]
    run = subprocess.run(args, capture_output=True, text=True, timeout=900, cwd=tmp_path)
    summary = run.stdout[run.stdout.find("FAILURES"):] if "FAILURES" in run.stdout else run.stdout[-3000:]
    assert run.returncode == 0, summary
    assert "Server error" not in run.stdout
    assert wait_for(lambda: requests.get(server.url + "/healthz", timeout=5).status_code == 200, timeout=10)
    log = open(server.log.name).read()
    assert "Fatal error" not in log and "Internal error" not in log

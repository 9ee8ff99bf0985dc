"""A small ActivityPub peer for the federation tests, written apart from the server's code: its
own RSA keys and draft-cavage signing (the `cryptography` package), an actor document, an inbox
that records what arrives and checks each request's signature and digest itself, and signed
GETs and POSTs to a Cadenza instance. Two copies of one bug cannot both pass against it.
"""
import base64
import email.utils
import hashlib
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

AS_CONTEXT = ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"]


def new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(key):
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def http_date(when=None):
    return email.utils.formatdate(when if when is not None else time.time(), usegmt=True)


def digest(body):
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


def signing_string(covered, method, target, headers):
    lines = []
    for name in covered:
        if name == "(request-target)":
            lines.append(f"(request-target): {method.lower()} {target}")
        else:
            lines.append(f"{name}: {headers[name]}")
    return "\n".join(lines)


def sign(key, key_id, method, url, body=None, covered=None, date=None, extra=None):
    """The headers of a signed request (lowercase names), as Mastodon and bovine send them."""
    parts = urlparse(url)
    target = parts.path + (("?" + parts.query) if parts.query else "")
    headers = {"host": parts.netloc, "date": date or http_date()}
    if body is not None:
        headers["digest"] = digest(body)
        headers["content-type"] = "application/activity+json"
        covered = covered or ["(request-target)", "host", "date", "digest", "content-type"]
    else:
        headers["accept"] = "application/activity+json"
        covered = covered or ["(request-target)", "host", "date", "accept"]
    headers.update(extra or {})
    text = signing_string(covered, method, target, headers)
    signature = base64.b64encode(key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()
    headers["signature"] = f'keyId="{key_id}",algorithm="rsa-sha256",headers="{" ".join(covered)}",signature="{signature}"'
    return headers


class Peer:
    """One actor (`/actor`) on its own loopback port, with a shared inbox (`/inbox`)."""

    def __init__(self, port=0, name="peer", require_signed_get=False):
        self.name = name
        # A library of its own, Funkwhale's shape: {id: (track title, artist, album, bytes)}.
        self.tracks = {}
        self.key = new_key()
        self.require_signed_get = require_signed_get
        self.received = []  # (path, headers, body bytes, verified: bool|str)
        self.fetches = []  # (path, signed keyId or None)
        self.lock = threading.Lock()
        self.keys_of_others = {}
        self._start(port)

    def _start(self, port):
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status, body=b"", ctype="application/activity+json"):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                headers = {k.lower(): v for k, v in self.headers.items()}
                sig = headers.get("signature")
                key_id = None
                if sig:
                    key_id = peer.verify_request("GET", self.path, headers, None)
                with peer.lock:
                    peer.fetches.append((self.path, key_id))
                if self.path.startswith("/.well-known/webfinger"):
                    return self._send(200, json.dumps({
                        "subject": f"acct:{peer.name}@{peer.authority}",
                        "links": [{"rel": "self", "type": "application/activity+json", "href": peer.actor_id}],
                    }).encode(), "application/jrd+json")
                if self.path.startswith("/library"):
                    page = "?page=" in self.path
                    return self._send(200, json.dumps(peer.library_page() if page else peer.library_document()).encode())
                if self.path.startswith("/audio/") and self.path.endswith("/stream"):
                    track = peer.tracks.get(self.path.split("/")[2])
                    if track is None or not (isinstance(key_id, str) and key_id.startswith("http")):
                        return self._send(404 if track is None else 401, b"{}")
                    return self._send(200, track[3], "audio/mpeg")
                if self.path == "/actor":
                    if peer.require_signed_get and not (isinstance(key_id, str) and key_id.startswith("http")):
                        return self._send(401, b'{"error":"signed GET required"}')
                    return self._send(200, json.dumps(peer.actor_document()).encode())
                self._send(404, b"{}")

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                verified = peer.verify_request("POST", self.path, headers, body)
                with peer.lock:
                    peer.received.append((self.path, headers, body, verified))
                self._send(202 if isinstance(verified, str) and verified.startswith("http") else 401)

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def authority(self):
        return f"127.0.0.1:{self.port}"

    @property
    def base(self):
        return f"http://{self.authority}"

    @property
    def actor_id(self):
        return f"{self.base}/actor"

    @property
    def key_id(self):
        return f"{self.actor_id}#main-key"

    @property
    def inbox(self):
        return f"{self.base}/inbox"

    def actor_document(self):
        return {
            "@context": AS_CONTEXT, "id": self.actor_id, "type": "Person", "preferredUsername": self.name,
            "inbox": self.inbox, "outbox": f"{self.actor_id}/outbox",
            "endpoints": {"sharedInbox": self.inbox},
            "publicKey": {"id": self.key_id, "owner": self.actor_id, "publicKeyPem": public_pem(self.key)},
        }

    @property
    def library_id(self):
        return f"{self.base}/library"

    def library_document(self):
        return {"@context": AS_CONTEXT, "id": self.library_id, "type": "Library", "name": f"{self.name}'s shelf",
                "attributedTo": self.actor_id, "actor": self.actor_id, "totalItems": len(self.tracks),
                "first": f"{self.library_id}?page=1", "audience": "https://www.w3.org/ns/activitystreams#Public"}

    def audio(self, key, updated="2026-01-01T00:00:00Z"):
        title, artist, album, data = self.tracks[key]
        return {"type": "Audio", "id": f"{self.base}/audio/{key}", "name": title, "library": self.library_id, "size": len(data),
                "duration": 3, "updated": updated,
                "url": {"type": "Link", "href": f"{self.base}/audio/{key}/stream", "mediaType": "audio/mpeg"},
                "track": {"type": "Track", "id": f"{self.base}/tracks/{key}", "name": title, "position": 1,
                          "artists": [{"type": "Artist", "id": f"{self.base}/artists/{artist}", "name": artist}],
                          "album": {"type": "Album", "id": f"{self.base}/albums/{album}", "name": album,
                                    "artists": [{"type": "Artist", "id": f"{self.base}/artists/{artist}", "name": artist}]}}}

    def library_page(self):
        return {"@context": AS_CONTEXT, "id": f"{self.library_id}?page=1", "type": "CollectionPage", "partOf": self.library_id,
                "items": [self.audio(key) for key in sorted(self.tracks)]}

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def restart(self):
        """Serves again on the same port (a peer back from a restart)."""
        self._start(self.port)

    # -- checking what Cadenza sends --------------------------------------------------------

    def verify_request(self, method, path, headers, body):
        """The signer's keyId when the signature (and the body's digest) checks out, else why not."""
        try:
            fields = {}
            for part in headers["signature"].split(","):
                k, _, v = part.partition("=")
                fields[k.strip()] = v.strip().strip('"')
            covered = fields.get("headers", "date").split()
            if body is not None:
                if "digest" not in covered or headers.get("digest") != digest(body):
                    return "bad digest"
            if "host" not in covered or headers.get("host") != self.authority:
                return "host not signed as sent"
            text = signing_string(covered, method, path, headers)
            key_id = fields["keyId"]
            pem = self.keys_of_others.get(key_id)
            if pem is None:
                # Unsigned, as Mastodon fetches keys: signing it would have the server check us back.
                doc = requests.get(key_id.split("#")[0], headers={"Accept": "application/activity+json"}, timeout=10).json()
                pem = doc["publicKey"]["publicKeyPem"]
            public = serialization.load_pem_public_key(pem.encode())
            public.verify(base64.b64decode(fields["signature"]), text.encode(), padding.PKCS1v15(), hashes.SHA256())
            return key_id
        except Exception as error:  # noqa: BLE001 - what failed is the answer
            return f"unverified: {error!r}"

    def inbox_items(self, kind=None):
        with self.lock:
            items = [(json.loads(b), v) for (_, _, b, v) in self.received]
        return [(a, v) for (a, v) in items if kind is None or a.get("type") == kind]

    # -- acting towards Cadenza --------------------------------------------------------------

    def activity(self, kind, obj, **extra):
        return {"@context": AS_CONTEXT, "id": f"{self.base}/activities/{uuid.uuid4()}", "type": kind, "actor": self.actor_id,
                "object": obj, **extra}

    def post(self, url, activity, **sign_args):
        body = json.dumps(activity).encode() if not isinstance(activity, bytes) else activity
        headers = sign(self.key, self.key_id, "POST", url, body=body, **sign_args)
        return requests.post(url, data=body, headers=headers, timeout=15)

    def get(self, url, **kwargs):
        return requests.get(url, headers=sign(self.key, self.key_id, "GET", url), timeout=15, **kwargs)

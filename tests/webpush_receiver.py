#!/usr/bin/env python3
"""A Web Push service on loopback for tests/tests/push.rs: an implementation
independent of the server's (Python's `cryptography`, not ring).

At start it makes a subscriber's P-256 key pair and auth secret and prints one
JSON line: {"port", "p256dh", "auth"} (keys in base64url). Every POST is then
checked and printed as one JSON line: the VAPID JWT's ES256 signature verified
with the key the request names (RFC 8292 `vapid t=,k=`, or the older
`WebPush <jwt>` with `Crypto-Key: p256ecdsa=`), its `aud` (the origin posted
to) and `exp`; the body decrypted with the subscriber's private key as RFC 8291
(`Content-Encoding: aes128gcm`) or draft-ietf-webpush-encryption-04
(`aesgcm`, salt and sender key in `Encryption` and `Crypto-Key`).

The path picks the answer: /gone/... 410, /fail/... 500, anything else 201.
It exits when its standard input closes (the test process ended).
"""

import base64
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PRIVATE = ec.generate_private_key(ec.SECP256R1())
PUBLIC = PRIVATE.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
AUTH = bytes(range(16, 32))


def b64url_decode(text):
    text = text.strip()
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def hkdf(salt, ikm, info, length):
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


def shared_secret(sender_public):
    peer = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), sender_public)
    return PRIVATE.exchange(ec.ECDH(), peer)


def header_params(value):
    """`a=b;c=d` or `a=b,c=d` into a dict."""
    out = {}
    for part in value.replace(",", ";").split(";"):
        if "=" in part:
            key, val = part.split("=", 1)
            out[key.strip()] = val.strip()
    return out


def decrypt_aes128gcm(body):
    salt, record_size, id_len = body[:16], int.from_bytes(body[16:20], "big"), body[20]
    sender = body[21:21 + id_len]
    ikm = hkdf(AUTH, shared_secret(sender), b"WebPush: info\x00" + PUBLIC + sender, 32)
    key = hkdf(salt, ikm, b"Content-Encoding: aes128gcm\x00", 16)
    nonce = hkdf(salt, ikm, b"Content-Encoding: nonce\x00", 12)
    ciphertext = body[21 + id_len:]
    assert len(ciphertext) <= record_size, "one record"
    plain = AESGCM(key).decrypt(nonce, ciphertext, None).rstrip(b"\x00")
    assert plain[-1:] == b"\x02", "the last record's delimiter"
    return plain[:-1]


def decrypt_aesgcm(body, headers):
    salt = b64url_decode(header_params(headers.get("Encryption", ""))["salt"])
    sender = b64url_decode(header_params(headers.get("Crypto-Key", ""))["dh"])
    ikm = hkdf(AUTH, shared_secret(sender), b"Content-Encoding: auth\x00", 32)
    context = b"P-256\x00" + len(PUBLIC).to_bytes(2, "big") + PUBLIC + len(sender).to_bytes(2, "big") + sender
    key = hkdf(salt, ikm, b"Content-Encoding: aesgcm\x00" + context, 16)
    nonce = hkdf(salt, ikm, b"Content-Encoding: nonce\x00" + context, 12)
    plain = AESGCM(key).decrypt(nonce, body, None)
    padding = int.from_bytes(plain[:2], "big")
    return plain[2 + padding:]


def check_vapid(headers, origin):
    """(the JWT's claims, the server key) after verifying the signature."""
    authorization = headers.get("Authorization", "")
    if authorization.lower().startswith("vapid "):
        params = header_params(authorization[6:])
        token, key = params["t"], params["k"]
    elif authorization.startswith("WebPush "):
        token = authorization[8:].strip()
        key = header_params(headers.get("Crypto-Key", ""))["p256ecdsa"]
    else:
        raise ValueError(f"no VAPID authorization: {authorization!r}")
    header_b64, claims_b64, signature_b64 = token.split(".")
    header = json.loads(b64url_decode(header_b64))
    if header.get("alg") != "ES256":
        raise ValueError(f"alg {header!r}")
    signature = b64url_decode(signature_b64)
    if len(signature) != 64:
        raise ValueError("an ES256 signature is r || s, 64 bytes")
    der = utils.encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(key))
    try:
        public.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise ValueError("the VAPID signature does not verify") from None
    claims = json.loads(b64url_decode(claims_b64))
    if claims.get("aud") != origin:
        raise ValueError(f"aud {claims.get('aud')!r}, want {origin!r}")
    if not (time.time() < claims.get("exp", 0) <= time.time() + 24 * 3600):
        raise ValueError(f"exp {claims.get('exp')!r} not within the next 24 hours")
    if not str(claims.get("sub", "")).startswith(("mailto:", "https:", "http:")):
        raise ValueError(f"sub {claims.get('sub')!r}")
    return claims, b64url(b64url_decode(key))


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        origin = f"http://127.0.0.1:{self.server.server_port}"
        record = {
            "path": self.path,
            "encoding": self.headers.get("Content-Encoding"),
            "content_type": self.headers.get("Content-Type"),
            "ttl": self.headers.get("TTL"),
            "urgency": self.headers.get("Urgency"),
        }
        try:
            record["claims"], record["server_key"] = check_vapid(self.headers, origin)
            record["vapid"] = "verified"
        except Exception as error:  # reported to the test, which fails on it
            record["vapid"] = f"refused: {error}"
        try:
            if record["encoding"] == "aes128gcm":
                plain = decrypt_aes128gcm(body)
            elif record["encoding"] == "aesgcm":
                plain = decrypt_aesgcm(body, self.headers)
            else:
                raise ValueError(f"Content-Encoding {record['encoding']!r}")
            record["payload"] = json.loads(plain)
        except Exception as error:
            record["payload"] = None
            record["error"] = f"{type(error).__name__}: {error}"
        print(json.dumps(record), flush=True)
        status = 410 if self.path.startswith("/gone/") else 500 if self.path.startswith("/fail/") else 201
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    server = HTTPServer(("127.0.0.1", 0), Handler)
    print(json.dumps({"port": server.server_port, "p256dh": b64url(PUBLIC), "auth": b64url(AUTH)}), flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()


if __name__ == "__main__":
    main()

"""One meaning per request: the backend refuses every other spelling of a signed payload.

A payment is credited by its txn id and stored by the digest of its exact JWS; if another
spelling of the same id, JSON or base64 were accepted, one payment could be credited twice or
a kiosk's real batch answered with a fork. Real HTTP against the reference backend.
"""

from __future__ import annotations

import asyncio
import json
import uuid

import aiohttp
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from backend_api.jcs import canonicalize
from backend_api.jws import b64url, sign
from refbackend import ReferenceBackend
from tests.refbackend.conftest import Post
from tests.uplink.support import KIOSK, payment_payload

HEADER = b64url(canonicalize({"alg": "EdDSA", "kid": KIOSK, "typ": "kioskd+jws"}))


def signed_bytes(key: Ed25519PrivateKey, payload: bytes) -> str:
    """A JWS over exactly these payload bytes (valid signature, whatever the JSON looks like)."""
    body = b64url(payload)
    return f"{HEADER}.{body}.{b64url(key.sign(f'{HEADER}.{body}'.encode()))}"


async def test_a_txn_id_has_one_spelling(post: Post, key: Ed25519PrivateKey, backend: ReferenceBackend) -> None:
    txn = str(uuid.uuid4())
    assert (await post("v1/payments", sign(payment_payload(txn, seq=1), key, KIOSK)))[0] == 200
    status, body = await post("v1/payments", sign(payment_payload(txn.upper(), seq=2), key, KIOSK))
    assert status == 400 and "txn" in body["detail"]
    assert backend.credits(KIOSK) == {txn: 15000}  # credited once


@pytest.mark.parametrize("spelling", ["spaces", "unsorted", "duplicate key", "escaped ascii"])
async def test_the_payload_must_be_its_rfc8785_form(post: Post, key: Ed25519PrivateKey, backend: ReferenceBackend,
                                                    spelling: str) -> None:
    payload = payment_payload(str(uuid.uuid4()), seq=1)
    canonical = canonicalize(payload).decode()
    text = {
        "spaces": json.dumps(payload, sort_keys=True),
        "unsorted": json.dumps(payload, separators=(",", ":")),
        # the last value wins in most parsers: a kiosk's amount could be read two ways
        "duplicate key": canonical[:-1] + ',"amount":99999999}',
        "escaped ascii": canonical.replace('"payment"', '"\\u0070ayment"'),
    }[spelling]
    status, body = await post("v1/payments", signed_bytes(key, text.encode()))
    assert status == 400 and body["error"] == "bad_request", body
    assert backend.credits(KIOSK) == {}


@pytest.mark.parametrize("respell", ["padding", "standard alphabet", "trailing bits"])
async def test_base64url_has_one_spelling(post: Post, key: Ed25519PrivateKey, backend: ReferenceBackend,
                                          respell: str) -> None:
    # a token whose signature has a - or _ to respell (most have one; the loop is bounded)
    token = next(t for t in (sign(payment_payload(str(uuid.uuid4()), seq=1), key, KIOSK) for _ in range(200))
                 if set(t.split(".")[2]) & set("-_"))
    head, body, sig = token.split(".")
    if respell == "padding":
        sig += "=" * (-len(sig) % 4) or "=="
    elif respell == "standard alphabet":
        sig = sig.replace("-", "+").replace("_", "/")
    else:  # an Ed25519 signature is 64 bytes: 86 characters, the last one carries 2 unused bits
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        sig = sig[:-1] + alphabet[alphabet.index(sig[-1]) ^ 1]
    status, _ = await post("v1/payments", f"{head}.{body}.{sig}")
    assert status in (400, 401)
    assert backend.credits(KIOSK) == {}


async def test_deep_nesting_is_a_clean_400(post: Post, key: Ed25519PrivateKey) -> None:
    deep = '{"type":"payment","x":' + "[" * 50_000 + "]" * 50_000 + "}"
    status, body = await post("v1/payments", signed_bytes(key, deep.encode()))
    assert status == 400 and "nest" in body["detail"]
    header = b64url(b'{"alg":"EdDSA","kid":' + b"[" * 50_000 + b"]" * 50_000 + b"}")
    status, body = await post("v1/payments", f"{header}.e30.AAAA")
    assert status in (400, 401) and body["error"] in ("bad_request", "bad_signature")


async def test_a_body_over_the_limit_is_refused_before_it_is_read(backend: ReferenceBackend) -> None:
    reader, writer = await asyncio.open_connection(*backend.url.removeprefix("http://").rstrip("/").split(":"))
    try:
        writer.write(b"POST /v1/batches HTTP/1.1\r\nHost: x\r\nContent-Type: application/jose\r\n"
                     b"Content-Length: 8000000\r\n\r\n")
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 10)  # answered without the 8 MB
        assert b" 413 " in status_line, status_line
    finally:
        writer.close()


async def test_unsigned_bodies_read_at_once_are_capped(backend: ReferenceBackend, key: Ed25519PrivateKey) -> None:
    host, port = backend.url.removeprefix("http://").rstrip("/").split(":")
    slots = backend.api.slots
    slots.wait = 0.5  # how long a body waits for a reading slot before 503
    slow = []
    try:
        for _ in range(slots.size):  # each holds a slot: headers sent, body half sent
            reader, writer = await asyncio.open_connection(host, int(port))
            writer.write(b"POST /v1/batches HTTP/1.1\r\nHost: x\r\nContent-Type: application/jose\r\n"
                         b"Content-Length: 100000\r\n\r\n" + b"x" * 50_000)
            await writer.drain()
            slow.append(writer)
        async with asyncio.timeout(10):  # until the backend is reading all of them
            await slots.all_taken()
        async with aiohttp.ClientSession() as session, session.post(
                backend.url + "v1/payments", data=sign(payment_payload(str(uuid.uuid4()), seq=1), key, KIOSK),
                headers={"Content-Type": "application/jose"}) as resp:
            assert resp.status == 503 and (await resp.json())["error"] == "busy"
    finally:
        for writer in slow:
            writer.close()
    async with aiohttp.ClientSession() as session, session.post(
            backend.url + "v1/payments", data=sign(payment_payload(str(uuid.uuid4()), seq=2), key, KIOSK),
            headers={"Content-Type": "application/jose"}) as resp:
        assert resp.status == 200  # the slots are free again


@pytest.mark.parametrize("kind", [[], {}, ["payment"]])
async def test_a_type_that_is_not_a_string_is_a_clean_400(post: Post, key: Ed25519PrivateKey,
                                                          backend: ReferenceBackend, kind: object) -> None:
    payload = {**payment_payload(str(uuid.uuid4()), seq=1), "type": kind}
    status, body = await post("v1/payments", signed_bytes(key, canonicalize(payload)))
    assert status == 400 and body["error"] == "bad_request" and "type" in body["detail"], body
    assert backend.credits(KIOSK) == {}

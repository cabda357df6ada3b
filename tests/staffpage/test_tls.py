"""The staff page over HTTPS: a real TLS handshake, a Secure cookie, https Origins only."""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kioskd.config import ConfigError, from_dict
from kioskd.hall.page import StaffPage, server_tls, start_staff_page

from .conftest import TOKEN


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as PEM files (what an installer would make)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kiosk staff page")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "staff.crt", tmp_path / "staff.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


class Handlers:
    """Just enough of the control handlers: TLS does not depend on what the page shows."""

    class accounts:  # noqa: N801 - only the emergency token logs in here: the installer stays allowed
        @staticmethod
        async def still_allowed(person: Any) -> bool:
            return True

    async def run(self, cmd: str, args: dict[str, Any], actor: Any) -> dict[str, Any]:
        return {"state": "service_idle"} if cmd == "status" else {"alerts": []}

    async def emergency_login(self, client: str) -> None:
        return None


@pytest.fixture
async def https_page(tmp_path: Path) -> AsyncIterator[tuple[StaffPage, ssl.SSLContext]]:
    cert, key = self_signed(tmp_path)
    page = StaffPage(Handlers(), token=TOKEN, port=0, tls=server_tls(str(cert), str(key)), tz="Asia/Shanghai")
    await page.start()
    trust = ssl.create_default_context(cafile=str(cert))  # the staff PC trusts this certificate
    try:
        yield page, trust
    finally:
        await page.stop()


async def test_login_over_https_sets_a_secure_cookie(https_page: tuple[StaffPage, ssl.SSLContext]) -> None:
    page, trust = https_page
    assert page.url.startswith("https://127.0.0.1:")
    origin = page.url.rstrip("/")
    async with aiohttp.ClientSession(headers={"Origin": origin}, cookie_jar=aiohttp.CookieJar(unsafe=True),
                                     connector=aiohttp.TCPConnector(ssl=trust)) as session:
        async with session.post(page.url + "login", data={"token": TOKEN}) as resp:
            assert resp.status == 200
            cookie = resp.headers["Set-Cookie"]
        assert "secure" in [p.strip().lower() for p in cookie.split(";")]
        async with session.get(page.url + "api/status") as resp:
            assert resp.status == 200 and (await resp.json())["status"]["state"] == "service_idle"
        # the same host over plain http is another origin
        async with session.post(page.url + "logout", headers={"Origin": origin.replace("https", "http")}) as resp:
            assert resp.status == 403


async def test_plain_http_gets_no_page(https_page: tuple[StaffPage, ssl.SSLContext]) -> None:
    page, _ = https_page
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientError):
            async with session.get(page.url.replace("https", "http")) as resp:
                await resp.read()


def test_tls_cert_and_key_go_together_and_must_exist(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    base = {"kiosk": {"id": "K-1", "name": "hall"}, "validator": {"port": "/dev/null"},
            "printer": {"port": "/dev/null"}, "keypad": {"driver": "screen"},
            "backend": {"url": "http://127.0.0.1:9/"}}
    page = {"enabled": True, "token": TOKEN}
    cases = [({"tls_cert": str(cert)}, "staff_page.tls_key"), ({"tls_key": str(key)}, "staff_page.tls_cert"),
             ({"tls_cert": str(tmp_path / "nope.crt"), "tls_key": str(key)}, "staff_page.tls_cert")]
    for extra, key_named in cases:
        with pytest.raises(ConfigError) as err:
            from_dict({**base, "staff_page": {**page, **extra}})
        assert err.value.key == key_named
    ok = from_dict({**base, "staff_page": {**page, "tls_cert": str(cert), "tls_key": str(key)}})
    assert ok.staff_page.tls_cert == str(cert)


async def test_a_certificate_that_does_not_load_leaves_the_page_off(tmp_path: Path, caplog) -> None:
    cert, key = self_signed(tmp_path)
    key.write_text("not a key\n")
    config = SimpleNamespace(staff_page=SimpleNamespace(enabled=True, listen="127.0.0.1", port=0, token=TOKEN,
                                                        tls_cert=str(cert), tls_key=str(key)))
    with caplog.at_level(logging.ERROR, logger="kioskd.hall.page"):
        assert await start_staff_page(config.staff_page, Handlers(), "Asia/Shanghai") is None
    assert "cannot be used" in caplog.text and str(key) in caplog.text


async def test_a_page_on_all_addresses_answers_the_names_staff_use_and_no_other() -> None:
    page = StaffPage(Handlers(), token=TOKEN, host="0.0.0.0", port=0, names=("kiosk-07.hall.lan", "fd00::57"),
                      tz="Asia/Shanghai")
    await page.start()
    port = page.url.rsplit(":", 1)[1].strip("/")
    try:
        async with aiohttp.ClientSession() as session:
            for host, status in (("kiosk-07.hall.lan", 200), ("[fd00::57]", 200), ("127.0.0.1", 200),
                                 ("evil.example", 403), ("kiosk-07.hall.lan.evil.example", 403)):
                async with session.get(f"http://127.0.0.1:{port}/", headers={"Host": f"{host}:{port}"}) as resp:
                    assert resp.status == status, host
    finally:
        await page.stop()

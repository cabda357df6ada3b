"""eSSP encryption for ITL validators: Diffie-Hellman key arithmetic and the AES-128 packet wrap.

Kept out of the pure codec (ssp.py) because AES comes from the `cryptography` package. Both
public implementations agree on the details followed here (ITL's C SDK `ITLSSPProc.c` /
`SSPComs.c`, and kybarg/ssp `lib/utils.js`):

- generator and modulus are primes below 2**31, host random below 2**31; every 64-bit key
  travels little endian after 4A / 4B / 4C;
- AES key = the fixed 64 bits as a little-endian number (``0123456701234567`` goes out as
  ``67 45 23 01 67 45 23 01``) followed by the negotiated key, little endian;
- wrapped data = ``7E`` + AES-128-ECB(``eLEN | eCOUNT(4, LE) | DATA | packing | eCRC(2, LE)``),
  packed with random bytes to a multiple of 16, eCRC = the SSP CRC over everything before it;
- eCOUNT: a command carries the host's count N, the slave answers with N + 1, and the next
  command carries N + 1 (ITL's host compares the reply's count with its count after sending).
"""

from __future__ import annotations

import os
import random
import secrets

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from drivers.errors import ProtocolError
from drivers.validator.ssp import crc16_ssp

STEX = 0x7E
BLOCK = 16
PRIME_LIMIT = 0x8000_0000  # ITL SDK MAX_PRIME_NUMBER / MAX_RANDOM_INTEGER
DEFAULT_FIXED_KEY = bytes.fromhex("0123456701234567")
_HEAD = 5  # eLEN + eCOUNT
MAX_DATA = 15 * BLOCK - _HEAD - 2  # the outer packet (7E + blocks) must fit 255 bytes
_MR_BASES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37)  # deterministic below 3.3e24


def is_prime(n: int) -> bool:
    """Miller-Rabin, deterministic for every 64-bit number."""
    if n < 2:
        return False
    for p in _MR_BASES:
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for a in _MR_BASES:
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def random_prime(rng: random.Random | secrets.SystemRandom, limit: int = PRIME_LIMIT) -> int:
    """A random prime in [2**16, limit)."""
    while True:
        n = rng.randrange(1 << 16, limit) | 1
        if is_prime(n):
            return n


def u64(n: int) -> bytes:
    """A 64-bit key as it travels in 4A / 4B / 4C and their replies (little endian)."""
    return n.to_bytes(8, "little")


def from_u64(data: bytes) -> int:
    """The 64-bit key in the first eight bytes of `data` (little endian)."""
    if len(data) < 8:
        raise ProtocolError(f"ssp: a key needs 8 bytes, got {len(data)}: {data.hex()}")
    return int.from_bytes(data[:8], "little")


class KeyExchange:
    """One side of the Diffie-Hellman exchange: a secret random and its intermediate key."""

    def __init__(self, generator: int, modulus: int, secret: int) -> None:
        if generator <= 0 or modulus <= 1:
            raise ProtocolError(f"ssp: generator {generator} / modulus {modulus} unusable")
        self.generator = generator
        self.modulus = modulus
        self.secret = secret
        self.inter = pow(generator, secret, modulus)  # sent to the other side

    @classmethod
    def for_host(cls, rng: random.Random | secrets.SystemRandom | None = None) -> KeyExchange:
        """Fresh primes (generator > modulus, as ITL's SDK and KYB intend) and a fresh random."""
        rng = rng or secrets.SystemRandom()
        a, b = random_prime(rng), random_prime(rng)
        while b == a:
            b = random_prime(rng)
        return cls(max(a, b), min(a, b), rng.randrange(1, PRIME_LIMIT))

    def shared(self, other_inter: int) -> int:
        """The negotiated 64 bits: other side's intermediate key ^ own secret mod modulus."""
        return pow(other_inter, self.secret, self.modulus)


def aes_key(fixed_key: bytes, negotiated: int) -> bytes:
    """The 16-byte AES key: fixed 64 bits little endian, then the negotiated 64 bits."""
    if len(fixed_key) != 8:
        raise ValueError(f"ssp: the fixed eSSP key is 8 bytes, not {len(fixed_key)}")
    return fixed_key[::-1] + u64(negotiated)


class EsspCipher:
    """Wraps and unwraps SSP packet data with one negotiated AES-128 key (ECB, no padding)."""

    def __init__(self, key: bytes) -> None:
        if len(key) != BLOCK:
            raise ValueError(f"ssp: AES-128 key must be 16 bytes, not {len(key)}")
        self._cipher = Cipher(algorithms.AES(key), modes.ECB())  # the protocol's mode

    def wrap(self, data: bytes, count: int, packing: bytes | None = None) -> bytes:
        """``7E`` + the encrypted block for `data` sent with eCOUNT `count`."""
        if not 1 <= len(data) <= MAX_DATA:
            raise ProtocolError(f"ssp: {len(data)} bytes do not fit one encrypted packet")
        plain = bytes((len(data),)) + (count & 0xFFFF_FFFF).to_bytes(4, "little") + data
        need = -(len(plain) + 2) % BLOCK
        if packing is None:
            packing = os.urandom(need)  # random packing, as ITL and KYB send it
        elif len(packing) != need:
            raise ValueError(f"ssp: {need} packing bytes needed, {len(packing)} given")
        plain += packing
        crc = crc16_ssp(plain)
        plain += bytes((crc & 0xFF, crc >> 8))
        enc = self._cipher.encryptor()
        return bytes((STEX,)) + enc.update(plain) + enc.finalize()

    def unwrap(self, data: bytes) -> tuple[int, bytes]:
        """(eCOUNT, inner data) of wrapped `data`; ProtocolError if it is not a sound block."""
        body = data[1:]
        if not data or data[0] != STEX or not body or len(body) % BLOCK:
            raise ProtocolError(f"ssp: not an encrypted block ({len(data)} bytes)")
        dec = self._cipher.decryptor()
        plain = dec.update(bytes(body)) + dec.finalize()
        if crc16_ssp(plain[:-2]) != plain[-2] | plain[-1] << 8:
            raise ProtocolError("ssp: encrypted block fails its eCRC (wrong key or tampered)")
        length = plain[0]
        if length == 0 or _HEAD + length > len(plain) - 2:
            raise ProtocolError(f"ssp: encrypted block claims {length} data bytes")
        return int.from_bytes(plain[1:_HEAD], "little"), plain[_HEAD : _HEAD + length]

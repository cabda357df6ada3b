"""eSSP key arithmetic and AES packet wrap: known answers from the public implementations."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.errors import ProtocolError
from drivers.validator.essp_crypto import (
    DEFAULT_FIXED_KEY,
    MAX_DATA,
    PRIME_LIMIT,
    EsspCipher,
    KeyExchange,
    aes_key,
    from_u64,
    is_prime,
    random_prime,
    u64,
)
from drivers.validator.ssp import Cmd, Reply, build_packet, decode_packet

# kybarg/ssp lib/utils.test.js, "extracts and decrypts data from an encrypted packet buffer":
# key 67452301674523019565000000000000 (fixed 0123456701234567 swapped + negotiated 0x6595),
# host count 0, so the slave's reply carries eCOUNT 1 and the data F0 00 4A 78 B4.
KYB_KEY = bytes.fromhex("67452301674523019565000000000000")
KYB_PACKET = bytes.fromhex("7f00117e702ffe1d411944addad1dfd677f533cc631d")
KYB_DATA = bytes.fromhex("f0004a78b4")
KYB_PACKING = bytes.fromhex("a16c6cd3")  # the four random packing bytes inside that block


def test_aes_key_is_the_fixed_key_little_endian_then_the_negotiated_key():
    # KYB argsToByte SET_FIXED_ENCRYPTION_KEY: '0123456701234567' -> 67 45 23 01 67 45 23 01
    assert aes_key(DEFAULT_FIXED_KEY, 0)[:8] == bytes.fromhex("6745230167452301")
    assert aes_key(DEFAULT_FIXED_KEY, 0x6595) == KYB_KEY
    with pytest.raises(ValueError):
        aes_key(b"\x01\x23", 1)


def test_published_encrypted_reply_unwraps_to_its_data_and_count():
    packet = decode_packet(KYB_PACKET)
    assert packet.seq == 0 and packet.data[0] == 0x7E
    assert EsspCipher(KYB_KEY).unwrap(packet.data) == (1, KYB_DATA)


def test_wrap_with_the_same_packing_gives_the_published_bytes():
    wrapped = EsspCipher(KYB_KEY).wrap(KYB_DATA, 1, packing=KYB_PACKING)
    assert build_packet(0, wrapped) == KYB_PACKET


def test_a_wrong_key_or_a_flipped_bit_is_refused():
    data = decode_packet(KYB_PACKET).data
    with pytest.raises(ProtocolError, match="eCRC"):
        EsspCipher(aes_key(DEFAULT_FIXED_KEY, 0x6596)).unwrap(data)
    for i in range(1, len(data)):
        tampered = data[:i] + bytes((data[i] ^ 0x01,)) + data[i + 1 :]
        with pytest.raises(ProtocolError):
            EsspCipher(KYB_KEY).unwrap(tampered)
    with pytest.raises(ProtocolError):
        EsspCipher(KYB_KEY).unwrap(data[:-1])  # not whole blocks


@given(data=st.binary(min_size=1, max_size=MAX_DATA), count=st.integers(0, 0xFFFF_FFFF))
def test_wrap_unwrap_round_trip_in_whole_blocks(data, count):
    cipher = EsspCipher(KYB_KEY)
    wrapped = cipher.wrap(data, count)
    assert (len(wrapped) - 1) % 16 == 0 and len(wrapped) <= 255
    assert cipher.unwrap(wrapped) == (count, data)
    assert decode_packet(build_packet(1, wrapped)).data == wrapped  # stuffing survives 7F bytes


def test_key_values_travel_as_64_bit_little_endian():
    # KYB argsToByte tests for SET_GENERATOR / SET_MODULUS / REQUEST_KEY_EXCHANGE
    assert u64(982451653) == bytes.fromhex("c5058f3a00000000")
    assert u64(1287821) == bytes.fromhex("8da6130000000000")
    assert u64(7554354432121) == bytes.fromhex("79c89ce2de060000")
    assert from_u64(bytes.fromhex("79c89ce2de060000")) == 7554354432121
    with pytest.raises(ProtocolError):
        from_u64(b"\x01\x02")


def test_host_intermediate_key_known_answer():
    # KYB generateKeys test: generator 13, modulus 7, hostRandom 513 -> 13 ** 513 % 7
    assert KeyExchange(13, 7, 513).inter == 13**513 % 7 == 6


def test_both_sides_reach_the_same_key():
    rng = random.Random(7)
    for _ in range(20):
        host = KeyExchange.for_host(rng)
        assert is_prime(host.generator) and is_prime(host.modulus)
        assert host.modulus < host.generator < PRIME_LIMIT  # ITL SDK / KYB: generator > modulus
        slave = KeyExchange(host.generator, host.modulus, rng.randrange(1, PRIME_LIMIT))
        assert host.shared(slave.inter) == slave.shared(host.inter)
        assert host.shared(slave.inter) < host.modulus


def test_primality():
    assert [n for n in range(60) if is_prime(n)] == [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37,
                                                    41, 43, 47, 53, 59]
    assert is_prime(982451653) and is_prime(2147483647)  # KYB's generator vector; 2**31 - 1
    assert not is_prime(2147483649) and not is_prime(3215031751)  # 3 x ..., a strong pseudoprime
    rng = random.Random(1)
    assert all(is_prime(random_prime(rng)) for _ in range(50))


def test_emulator_refuses_a_replayed_command_and_plain_poll_with_ack():
    from drivers.validator.emulators.ssp_emu import SspEmulator

    emu = SspEmulator(encrypted=True)
    flag = [1]  # SYNC goes out with flag 1; the host flips the flag after each reply

    def send(data: bytes):
        reply = emu._on_packet(decode_packet(build_packet(flag[0], data)))
        if reply is None:
            return None
        flag[0] ^= 1
        return decode_packet(reply).data

    assert send(bytes((Cmd.SYNC,))) == bytes((Reply.OK,))
    assert send(bytes((Cmd.POLL_WITH_ACK,))) == bytes((Reply.KEY_NOT_SET,))  # needs eSSP
    host = KeyExchange(65537, 257, 12345)
    assert send(bytes((Cmd.SET_GENERATOR,)) + u64(65537)) == bytes((Reply.OK,))
    assert send(bytes((Cmd.SET_GENERATOR,)) + u64(65536))[0] == Reply.PARAMETER_OUT_OF_RANGE
    assert send(bytes((Cmd.SET_MODULUS,)) + u64(257)) == bytes((Reply.OK,))
    reply = send(bytes((Cmd.REQUEST_KEY_EXCHANGE,)) + u64(host.inter))
    cipher = EsspCipher(aes_key(DEFAULT_FIXED_KEY, host.shared(from_u64(reply[1:]))))
    poll = cipher.wrap(bytes((Cmd.POLL_WITH_ACK,)), 0)
    assert cipher.unwrap(send(poll))[0] == 1  # the slave answers count + 1
    polls = emu.commands.count(Cmd.POLL_WITH_ACK)
    assert send(poll) is None  # the same count again under a new sequence flag: a replay
    assert send(poll) is None  # and again: still not executed
    assert emu.refused_counts == [0, 0] and emu.commands.count(Cmd.POLL_WITH_ACK) == polls
    count, data = cipher.unwrap(send(cipher.wrap(bytes((Cmd.POLL_WITH_ACK,)), 1)))
    assert count == 2 and data[0] == Reply.OK

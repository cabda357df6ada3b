"""ID-003 codec: published frames, round trips, tables and a resynchronising parser."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.errors import ProtocolError
from drivers.validator.id003 import (
    FAILURE_CODES,
    REJECT_REASONS,
    STATUS_NAMES,
    Frame,
    Id003Parser,
    build_frame,
    crc16_kermit,
    decode_frame,
    denomination_mask,
    disabled_by_mask,
    encode_currency_table,
    parse_currency_table,
)
from tests.validator_common import all_in_order, feed_in_chunks, published_vectors

VECTORS = published_vectors("id003")


def test_crc_check_value():
    assert crc16_kermit(b"123456789") == 0x2189


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_every_published_frame_decodes_and_rebuilds_byte_for_byte(vector):
    raw = bytes.fromhex(vector["frame"])
    frame = decode_frame(raw)
    assert build_frame(frame.cmd, frame.data) == raw
    assert Id003Parser().feed(raw) == [frame]


def test_named_frames():
    assert build_frame(0x50) == bytes.fromhex("fc0550aa05")  # ACK
    assert build_frame(0xC3, b"\x00") == bytes.fromhex("fc06c30004d6")  # enable
    assert decode_frame(bytes.fromhex("fc061363a2d8")) == Frame(0x13, b"\x63")
    assert decode_frame(bytes.fromhex("fc061771518c")) == Frame(0x17, b"\x71")


@pytest.mark.parametrize(
    "raw",
    ["fc0511", "fc05112757", "fd05112756", "fc06112756", "fc04112756"],
)
def test_decode_rejects_malformed_frames(raw):
    with pytest.raises(ProtocolError):
        decode_frame(bytes.fromhex(raw))


def test_build_rejects_oversized_data():
    with pytest.raises(ProtocolError):
        build_frame(0x11, bytes(251))
    assert len(build_frame(0x11, bytes(250))) == 255


def test_tables_cover_the_digest():
    for code in list(range(0x11, 0x1C)) + list(range(0x40, 0x4C)):
        assert code in STATUS_NAMES
    for code in [0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7B, 0x7C, 0x7D, 0x7E, 0x98, 0x9B]:
        assert code in REJECT_REASONS
    for code in [0xA2, 0xA5, 0xA6, 0xA7, 0xAB, 0xAF, 0xB0, 0xB1, 0xB2, 0xB3]:
        assert code in FAILURE_CODES
    assert REJECT_REASONS[0x79] == "inhibited"


def test_currency_table_values_in_fen_use_the_exponent():
    data = bytes.fromhex("61a0010062a0050063a0010164a0020165a0050166a0010200000000")
    entries = parse_currency_table(data)
    assert [e.value_fen for e in entries] == [100, 500, 1000, 2000, 5000, 10000]
    assert encode_currency_table(entries) == data[:-4]
    assert parse_currency_table(bytes.fromhex("61a005ff"))[0].value_fen == 50  # 5 jiao
    with pytest.raises(ProtocolError):
        parse_currency_table(b"\x61\xa0\x01")
    with pytest.raises(ProtocolError):
        _ = parse_currency_table(bytes.fromhex("61a001fd"))[0].value_fen


def test_denomination_mask_bit_one_disables():
    assert denomination_mask(set()) == b"\x00\x00"
    assert denomination_mask({0x62, 0x68}) == b"\x82\x00"  # the published C0 82 00 frame
    assert disabled_by_mask(b"\x82\x00") == {0x62, 0x68}
    assert disabled_by_mask(denomination_mask({0x61, 0x70})) == {0x61, 0x70}


def test_parser_reassembles_byte_by_byte_and_skips_noise():
    p = Id003Parser()
    stream = b"\x00\x13" + build_frame(0x13, b"\x63") + b"\xfc\x02\xff" + build_frame(0x15)
    out = []
    for b in stream:
        out += p.feed(bytes([b]))
    assert out == [Frame(0x13, b"\x63"), Frame(0x15)]
    assert p.dropped_bytes == 5 and p.pending == 0


def test_parser_counts_a_bad_crc_and_recovers_the_next_frame():
    p = Id003Parser()
    bad = bytearray(build_frame(0x11))
    bad[-1] ^= 0xFF
    assert p.feed(bytes(bad) + build_frame(0x1A)) == [Frame(0x1A)]
    assert p.bad_frames == 1


def test_parser_does_not_wait_on_a_noise_sync_with_a_large_length():
    p = Id003Parser()
    assert p.feed(b"\xfc\xf0" + build_frame(0x16)) == [Frame(0x16)]


frames_st = st.builds(
    Frame, st.integers(0, 255), st.binary(max_size=12)
)


@settings(max_examples=300)
@given(st.binary(max_size=400))
def test_random_bytes_never_raise(data):
    p = Id003Parser()
    for f in feed_in_chunks(p, data, 7):
        assert decode_frame(f.encode()) == f
    try:
        decode_frame(data)
    except ProtocolError:
        pass


@settings(max_examples=300)
@given(frames_st, st.integers(0, 40), st.integers(0, 255))
def test_mutated_frames_raise_only_protocol_error(frame, index, value):
    raw = bytearray(frame.encode())
    raw[index % len(raw)] = value
    try:
        got = decode_frame(bytes(raw))
    except ProtocolError:
        return
    assert got.encode() == bytes(raw)


@settings(max_examples=300)
@given(st.lists(st.tuples(st.binary(max_size=20), frames_st), max_size=12), st.integers(1, 9))
def test_valid_frames_mixed_with_garbage_are_all_recovered(pieces, chunk):
    stream = b"".join(g + f.encode() for g, f in pieces)
    p = Id003Parser()
    got = feed_in_chunks(p, stream, chunk)
    want = [f for _, f in pieces]
    # every sent frame comes out, in order (noise can only add frames, with odds of 2**-16)
    assert all_in_order(got, want)
    assert len(got) - len(want) <= 1

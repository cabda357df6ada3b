"""CCNET codec: published frames, round trips, the bill table, masks and a resynchronising parser."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.errors import ProtocolError
from drivers.validator.ccnet import (
    FAILURE_CODES,
    REJECT_REASONS,
    STATE_NAMES,
    BillType,
    CcnetParser,
    Frame,
    Identification,
    build_frame,
    crc16_kermit,
    decode_frame,
    describe,
    enable_data,
    encode_bill_table,
    parse_bill_table,
    parse_identification,
    type_mask,
    types_in_mask,
)
from tests.validator_common import all_in_order, feed_in_chunks, published_vectors

VECTORS = published_vectors("ccnet")


def test_the_vectors_are_there():
    assert len(VECTORS) >= 12


def test_crc_check_value():
    assert crc16_kermit(b"123456789") == 0x2189


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_every_published_frame_decodes_and_rebuilds_byte_for_byte(vector):
    raw = bytes.fromhex(vector["frame"])
    frame = decode_frame(raw)
    assert build_frame(frame.cmd, frame.data) == raw
    assert CcnetParser().feed(raw) == [frame]


def test_named_frames():
    assert build_frame(0x33) == bytes.fromhex("02030633da81")  # POLL
    assert build_frame(0x00) == bytes.fromhex("02030600c282")  # ACK
    assert build_frame(0x34, enable_data(range(24), ())) == bytes.fromhex("02030c34ffffff000000b5c1")
    assert decode_frame(bytes.fromhex("02030780029e10")) == Frame(0x80, b"\x02")  # escrow type 2
    assert decode_frame(bytes.fromhex("02030781024609")) == Frame(0x81, b"\x02")  # stacked type 2
    assert describe(Frame(0x1C, b"\x68")) == "rejecting(inhibited)"
    assert describe(Frame(0x47, b"\x50")) == "failure(stack motor)"
    assert describe(Frame(0x80, b"\x02")) == "escrow(02)"


@pytest.mark.parametrize(
    "raw",
    ["020306", "02030633da", "03030633da81", "02030733da81", "02030633da82", "020305da81"],
)
def test_decode_rejects_malformed_frames(raw):
    with pytest.raises(ProtocolError):
        decode_frame(bytes.fromhex(raw))


def test_build_rejects_oversized_data():
    with pytest.raises(ProtocolError):
        build_frame(0x33, bytes(250))
    assert len(build_frame(0x33, bytes(249))) == 255
    with pytest.raises(ProtocolError):
        build_frame(0x100)


def test_tables_cover_the_digest():
    for code in [*range(0x10, 0x16), *range(0x17, 0x1D), *range(0x41, 0x48), 0x80, 0x81, 0x82]:
        assert code in STATE_NAMES
    for code in [*range(0x60, 0x6B), 0x6C, 0x6D, *range(0x92, 0x96)]:
        assert code in REJECT_REASONS
    for code in [*range(0x50, 0x57), 0x5F]:
        assert code in FAILURE_CODES


def test_bill_table_values_in_fen_follow_the_power_byte():
    # 10 and 50 "RUS" as digit 1/5 with one trailing zero, 5 jiao as 5 with bit 7 (one decimal)
    data = bytearray(120)
    data[0:5] = b"\x01RUS\x01"
    data[5:10] = b"\x05RUS\x01"
    data[15:20] = b"\x05CHN\x81"
    data[20:25] = b"\x01CHN\x02"
    types = parse_bill_table(bytes(data))
    assert [(t.index, t.country, t.value_fen) for t in types] == [
        (0, "RUS", 1000), (1, "RUS", 5000), (3, "CHN", 50), (4, "CHN", 10000)]
    assert encode_bill_table(types) == bytes(data)
    with pytest.raises(ProtocolError):
        parse_bill_table(bytes(119))
    with pytest.raises(ProtocolError):
        _ = BillType(0, 1, "CHN", 0x83).value_fen  # a thousandth of a yuan is no fen


def test_type_mask_first_byte_holds_the_high_types():
    assert type_mask([0]) == b"\x00\x00\x01"
    assert type_mask([23]) == b"\x80\x00\x00"
    assert type_mask(range(23)) == b"\x7f\xff\xff"  # the "all but barcode" mask in the wild
    assert types_in_mask(b"\x00\x00\xfc") == {2, 3, 4, 5, 6, 7}
    assert enable_data([2], [2]) == bytes.fromhex("000004000004")
    with pytest.raises(ProtocolError):
        type_mask([24])
    with pytest.raises(ProtocolError):
        types_in_mask(b"\x00")


def test_identification_round_trip():
    ident = Identification("SM-CN1234", "41A001234567", b"\x01\x02\x03\x04\x05\x06\x07")
    raw = ident.encode()
    assert len(raw) == 34 and parse_identification(raw) == ident
    with pytest.raises(ProtocolError):
        parse_identification(raw[:-1])


def test_data_block_replies_come_back_whole_through_payload():
    table = encode_bill_table([BillType(2, 1, "CHN", 0)])
    frame = CcnetParser().feed(build_frame(table[0], table[1:]))[0]
    assert frame.payload == table


def test_parser_reassembles_byte_by_byte_and_skips_noise():
    p = CcnetParser()
    stream = b"\x00\x03" + build_frame(0x80, b"\x02") + b"\x02\x03\x02\xff" + build_frame(0x14)
    out = []
    for b in stream:
        out += p.feed(bytes([b]))
    assert out == [Frame(0x80, b"\x02"), Frame(0x14)]
    assert p.dropped_bytes == 6 and p.pending == 0


def test_parser_ignores_other_addresses():
    p = CcnetParser()
    assert p.feed(build_frame(0x14, address=0x01) + build_frame(0x19)) == [Frame(0x19)]


def test_parser_counts_a_bad_crc_and_recovers_the_next_frame():
    p = CcnetParser()
    bad = bytearray(build_frame(0x81, b"\x02"))
    bad[-1] ^= 0xFF
    assert p.feed(bytes(bad) + build_frame(0x19)) == [Frame(0x19)]
    assert p.bad_frames == 1


def test_parser_does_not_wait_on_a_noise_sync_with_a_large_length():
    p = CcnetParser()
    assert p.feed(b"\x02\x03\xf0" + build_frame(0x81, b"\x07")) == [Frame(0x81, b"\x07")]


frames_st = st.builds(Frame, st.integers(0, 255), st.binary(max_size=12))


@settings(max_examples=300)
@given(st.binary(max_size=400))
def test_random_bytes_raise_only_protocol_error(data):
    p = CcnetParser()
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
    i = index % len(raw)
    raw[i] = value
    try:
        got = decode_frame(bytes(raw))
    except ProtocolError:
        assert raw != bytearray(frame.encode())  # the untouched frame always decodes
        return
    assert got.encode() == bytes(raw)


@settings(max_examples=300)
@given(st.lists(st.tuples(st.binary(max_size=20), frames_st), max_size=12), st.integers(1, 9))
def test_valid_frames_mixed_with_garbage_are_all_recovered(pieces, chunk):
    stream = b"".join(g + f.encode() for g, f in pieces)
    p = CcnetParser()
    got = feed_in_chunks(p, stream, chunk)
    want = [f for _, f in pieces]
    # every sent frame comes out, in order (noise can only add frames, with odds of 2**-16)
    assert all_in_order(got, want)
    assert len(got) - len(want) <= 1

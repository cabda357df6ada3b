"""SSP codec: published frames, stuffing, tables, setup values in fen and a resynchronising parser."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.errors import ProtocolError
from drivers.validator.ssp import (
    EVENT_NAMES,
    REJECT_REASONS,
    Channel,
    Ev,
    Event,
    Packet,
    Setup,
    SspParser,
    build_packet,
    crc16_ssp,
    decode_packet,
    enabled_by_mask,
    encode_events,
    encode_setup,
    inhibit_mask,
    parse_events,
    parse_setup,
)
from tests.validator_common import all_in_order, feed_in_chunks, published_vectors

VECTORS = published_vectors("ssp")


def test_crc_matches_the_published_check():
    assert crc16_ssp(b"\x41") == 0xFC84  # KYB: [65] -> [132, 252] (CRCL, CRCH)


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_every_published_frame_decodes_and_rebuilds_byte_for_byte(vector):
    raw = bytes.fromhex(vector["frame"])
    packet = decode_packet(raw)
    assert build_packet(packet.seq, packet.data, packet.addr) == raw
    assert SspParser().feed(raw) == [packet]


def test_named_frames():
    assert build_packet(1, b"\x11") == bytes.fromhex("7f8001116582")  # SYNC
    assert build_packet(0, b"\x07") == bytes.fromhex("7f0001071188")  # POLL, flag cleared
    assert decode_packet(bytes.fromhex("7f8004f0ee01ebb948")).data == b"\xf0\xee\x01\xeb"


def test_stuffing_doubles_0x7f_after_the_crc_and_parses_back():
    raw = build_packet(1, b"\x02\x7f\x00")
    assert raw == bytes.fromhex("7f8003027f7f002e26")  # the README's stuffing example
    assert decode_packet(raw) == Packet(1, 0, b"\x02\x7f\x00")
    every = bytes(range(256))[:255]
    assert decode_packet(build_packet(0, every)).data == every


@pytest.mark.parametrize(
    "raw",
    ["7f800111", "7f8001116583", "7e8001116582", "7f8000116582", "7f800111658200",
     "7f8003027f002e26"],
)
def test_decode_rejects_malformed_packets(raw):
    with pytest.raises(ProtocolError):
        decode_packet(bytes.fromhex(raw))


def test_build_rejects_what_cannot_be_a_packet():
    with pytest.raises(ProtocolError):
        build_packet(1, b"")
    with pytest.raises(ProtocolError):
        build_packet(1, bytes(256))
    with pytest.raises(ProtocolError):
        build_packet(2, b"\x07")


def test_events_split_with_their_channels():
    assert parse_events(bytes.fromhex("f1e8")) == [Event(Ev.SLAVE_RESET), Event(Ev.DISABLED)]
    assert parse_events(bytes.fromhex("ee01eb")) == [Event(Ev.CREDIT, 1), Event(Ev.STACKED)]
    assert parse_events(bytes.fromhex("cc ef03 e602 e100 e202".replace(" ", ""))) == [
        Event(Ev.STACKING), Event(Ev.READ, 3), Event(Ev.FRAUD_ATTEMPT, 2),
        Event(Ev.NOTE_CLEARED_FROM_FRONT, 0), Event(Ev.NOTE_CLEARED_INTO_CASHBOX, 2)]
    # an unknown code stops the split instead of misreading the rest
    assert parse_events(bytes.fromhex("e8990102")) == [Event(Ev.DISABLED), Event(0x99, None, b"\x01\x02")]
    with pytest.raises(ProtocolError):
        parse_events(b"\xee")
    events = [Event(Ev.READ, 0), Event(Ev.CASHBOX_REMOVED), Event(Ev.CREDIT, 6)]
    assert parse_events(encode_events(events)) == events


def test_tables_cover_the_digest():
    for code in (0xF1, 0xEF, 0xEE, 0xED, 0xEC, 0xCC, 0xEB, 0xEA, 0xE9, 0xE8, 0xE7, 0xE6, 0xE1,
                 0xE2, 0xE3, 0xE4, 0xE0, 0xB5, 0xB6):
        assert code in EVENT_NAMES
    assert REJECT_REASONS[0x08] == "reject by host" and REJECT_REASONS[0x13] == "escrow timeout"
    assert len([c for c in range(0x1E) if c in REJECT_REASONS]) == 30


def test_setup_protocol_6_values_are_channel_value_times_multiplier_in_fen():
    channels = tuple(Channel(i + 1, "CNY", y * 100) for i, y in enumerate((1, 5, 10, 20, 50, 100)))
    data = encode_setup(Setup(0, "0371", "CNY", 8, channels), multiplier=100)
    setup = parse_setup(data)
    assert [c.value for c in setup.channels] == [100, 500, 1000, 2000, 5000, 10000]
    assert setup.protocol_version == 8 and setup.firmware == "0371"
    # the same notes with multiplier 10 (values in jiao) still come out in fen
    assert parse_setup(encode_setup(Setup(0, "0371", "CNY", 8, channels), multiplier=10)) == setup
    with pytest.raises(ProtocolError):
        parse_setup(data[:30])


def test_setup_legacy_protocol_uses_the_one_byte_values_and_multiplier():
    # ITL's published GBP example (protocol < 6): GBP 5, 10, 20 with multiplier 1
    data = bytes.fromhex("00303130304742500000010305" "0a14020202000064" "04")
    setup = parse_setup(data)
    assert [(c.country, c.value) for c in setup.channels] == [("GBP", 5), ("GBP", 10), ("GBP", 20)]


def test_inhibit_mask_bit_one_enables():
    assert inhibit_mask({1, 2, 3}) == b"\x07\x00"  # the published 02 07 00 frame
    assert inhibit_mask(set(range(1, 17))) == b"\xff\xff"
    assert enabled_by_mask(b"\x07\x00") == {1, 2, 3}
    assert enabled_by_mask(b"\x01") == {1}  # one byte: channels 9+ stay inhibited
    with pytest.raises(ProtocolError):
        inhibit_mask({17})


def test_parser_reassembles_byte_by_byte_and_skips_noise():
    p = SspParser()
    stream = b"\x00\x13" + build_packet(1, b"\xf0\xef\x03") + b"\x7f\x80\xff" + build_packet(0, b"\xf0")
    out = []
    for b in stream:
        out += p.feed(bytes([b]))
    assert out == [Packet(1, 0, b"\xf0\xef\x03"), Packet(0, 0, b"\xf0")]
    assert p.pending == 0


def test_parser_counts_a_bad_crc_and_recovers_the_next_packet():
    p = SspParser()
    bad = bytearray(build_packet(1, b"\xf0"))
    bad[-1] ^= 0x01
    assert p.feed(bytes(bad) + build_packet(0, b"\xf0\xe8")) == [Packet(0, 0, b"\xf0\xe8")]
    assert p.bad_frames == 1


def test_parser_does_not_take_a_stuffed_pair_for_a_packet_start():
    p = SspParser()
    raw = build_packet(1, b"\x02\x7f\x7f\x7f\x00")
    assert p.feed(raw[:5]) == [] and p.feed(raw[5:]) == [Packet(1, 0, b"\x02\x7f\x7f\x7f\x00")]


packets_st = st.builds(Packet, st.integers(0, 1), st.integers(0, 0x7F), st.binary(min_size=1, max_size=12))


@settings(max_examples=300)
@given(st.binary(max_size=400))
def test_random_bytes_never_raise(data):
    p = SspParser()
    for f in feed_in_chunks(p, data, 7):
        assert decode_packet(f.encode()) == f
    for decode in (decode_packet, parse_events, parse_setup):
        try:
            decode(data)
        except ProtocolError:
            pass


@settings(max_examples=300)
@given(packets_st, st.integers(0, 40), st.integers(0, 255))
def test_mutated_packets_raise_only_protocol_error(packet, index, value):
    raw = bytearray(packet.encode())
    raw[index % len(raw)] = value
    try:
        got = decode_packet(bytes(raw))
    except ProtocolError:
        return
    assert got.encode() == bytes(raw)


@settings(max_examples=300)
@given(st.lists(st.tuples(st.binary(max_size=20), packets_st), max_size=12), st.integers(1, 9))
def test_valid_packets_mixed_with_garbage_are_all_recovered(pieces, chunk):
    # garbage may end in 0x7F: "7F 7F 80 ..." must still yield the packet after it
    pieces = [(g + b"\x7f" if i % 2 else g, f) for i, (g, f) in enumerate(pieces)]
    stream = b"".join(g + f.encode() for g, f in pieces)
    p = SspParser()
    got = feed_in_chunks(p, stream, chunk)
    want = [f for _, f in pieces]
    assert all_in_order(got, want)
    assert len(got) - len(want) <= 1

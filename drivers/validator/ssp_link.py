"""The SSP link to slave 0: the port, one request/reply at a time, the sequence flag, eSSP.

A command goes out with the current sequence flag and, with no reply, out again with the same
bytes (RETRIES sends) before the device counts as gone; only a reply carrying that flag ends it.

eSSP (``encrypted=True``): after SYNC the link negotiates a key (4A set generator, 4B set
modulus, 4C request key exchange, all plain) and from then on wraps every command in AES-128
(drivers/validator/essp_crypto.py). A reply whose eCOUNT is not the one expected (a replay or a
reordered packet) is refused with Untrusted: the session is re-negotiated before anything in it
is believed. A slave reset, a lost key (plain FA to an encrypted command, KeyLost) or a
reconnect negotiate afresh.
"""

from __future__ import annotations

import logging

from drivers.errors import ProtocolError
from drivers.validator import supervise
from drivers.validator.essp_crypto import STEX, EsspCipher, KeyExchange, aes_key, from_u64, u64
from drivers.validator.link import SerialLink
from drivers.validator.ssp import Cmd, Packet, Reply, SspParser, build_packet, describe

# One logger for the whole SSP driver (ssp_device's): the link's lines stay where they were.
log = logging.getLogger("drivers.validator.ssp_device")

RETRIES = 3  # sends of one packet (same sequence flag) before the device counts as gone


class SspLink(SerialLink[Packet]):
    """Request/reply exchanges with an SSP slave (address 0) on a serial port, 8N2, plain or eSSP."""

    def __init__(
        self,
        port: str,
        *,
        name: str,
        baudrate: int,
        reply_timeout: float,
        encrypted: bool,
        fixed_key: bytes,
    ) -> None:
        if len(fixed_key) != 8:
            raise ValueError(f"{name}: the fixed eSSP key is 8 bytes, not {len(fixed_key)}")
        # 8N2 on RS-232; transport opens a pty with no parity (stop bits as the pty allows).
        super().__init__(port, name=name, log=log, parser=SspParser, baudrate=baudrate,
                         parity="N", stopbits=2, noun="packets",
                         unexpected="%s: reply with the wrong flag or address dropped: %s")
        self.reply_timeout = reply_timeout
        self.encrypted = encrypted
        self._fixed_key = bytes(fixed_key)
        self._cipher: EsspCipher | None = None  # set once a key is negotiated
        self._ecount = 0  # eCOUNT the next encrypted command carries
        self._broken = False  # a reply on this key was refused: re-negotiate before more
        self.negotiations = 0  # key exchanges completed (start-up, resets, refused replies)
        self._seq = 1

    async def synchronise(self) -> None:
        """SYNC (the sequence flag starts afresh) and, with eSSP, negotiate a new key."""
        self._seq = 1  # SYNC goes out as 7F 80 and makes the next command carry flag 0
        self._cipher = None  # SYNC and the key exchange travel plain
        await self.command(bytes((Cmd.SYNC,)))
        if self.encrypted:
            await self._negotiate()

    async def exchange(self, data: bytes) -> bytes:
        """Send one command and return the reply data; retransmits with the same flag."""
        async with self.lock:
            self.require_writer()  # "not connected" comes before an eSSP refusal
            cipher = self._cipher
            if cipher and self._broken:  # e.g. set_accepting after the poll loop refused a reply
                raise Untrusted(f"{self.name}: eSSP session refused; waiting for a new key")
            # Wrapped once: a retransmission repeats the same bytes (same flag, same eCOUNT).
            raw = build_packet(self._seq, cipher.wrap(data, self._ecount) if cipher else data)
            reply = await self.request(raw, data[0], within=self.reply_timeout, retries=RETRIES,
                                       accept=self._is_reply)
            self._seq ^= 1  # the next command is a new one
            return self._open(reply.data, data[0]) if cipher else reply.data

    async def command(self, data: bytes) -> bytes:
        """Exchange and require the generic OK; returns the data after it."""
        reply = await self.exchange(data)
        if reply[0] != Reply.OK:
            raise Refused(f"{self.name}: command 0x{data[0]:02x} refused: {describe(reply)}",
                          reply[0])
        return reply[1:]

    def _open(self, reply: bytes, cmd: int) -> bytes:
        """The plain reply data of an encrypted exchange; checks the eCOUNT."""
        if reply[0] != STEX:
            if reply[0] == Reply.KEY_NOT_SET:  # the slave lost the key (a reset we missed)
                log.warning("%s: device lost the eSSP key; re-initialising", self.name)
                raise KeyLost(f"{self.name}: device answered 0x{cmd:02x} with 'key not set'")
            raise Untrusted(f"{self.name}: plain reply {describe(reply)} to encrypted 0x{cmd:02x}")
        assert self._cipher is not None
        try:
            count, inner = self._cipher.unwrap(reply)
        except ProtocolError as err:
            self._broken = True
            raise Untrusted(f"{self.name}: reply to 0x{cmd:02x}: {err}") from err
        expected = (self._ecount + 1) & 0xFFFF_FFFF
        if count != expected:
            self._broken = True  # the counts no longer agree: nothing more on this key
            raise Untrusted(f"{self.name}: reply to 0x{cmd:02x} carries eCOUNT {count}, "
                            f"expected {expected} (replayed or out of order); refused")
        self._ecount = expected
        return inner

    async def _negotiate(self) -> None:
        """eSSP key exchange (plain 4A / 4B / 4C); every later command is encrypted."""
        self._cipher = None
        keys = KeyExchange.for_host()
        await self.command(bytes((Cmd.SET_GENERATOR,)) + u64(keys.generator))
        await self.command(bytes((Cmd.SET_MODULUS,)) + u64(keys.modulus))
        slave_inter = from_u64(await self.command(bytes((Cmd.REQUEST_KEY_EXCHANGE,))
                                                  + u64(keys.inter)))
        self._cipher = EsspCipher(aes_key(self._fixed_key, keys.shared(slave_inter)))
        self._ecount = 0  # a fresh key starts a fresh count (ITL InitiateSSPHostKeys)
        self._broken = False
        self.negotiations += 1
        log.info("%s: eSSP key negotiated (#%d)", self.name, self.negotiations)

    def _is_reply(self, packet: Packet) -> bool:
        return packet.addr == 0 and packet.seq == self._seq


class Refused(ProtocolError):
    """The device answered a command with something other than OK."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


class Restarted(supervise.Restarted):
    """The device reported SLAVE RESET while we were polling; re-initialise."""


class KeyLost(Restarted):
    """The device answered an encrypted command with 'key not set': it reset; re-initialise."""


class Untrusted(ProtocolError):
    """An encrypted reply that failed its eCRC or eCOUNT check; refused, then re-negotiated."""

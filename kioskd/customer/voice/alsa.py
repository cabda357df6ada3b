"""An ALSA playback stream opened once through libasound (ctypes): an announcement starts without a process start.

Blocking calls: run them on one thread of their own (AlsaOutput does).
"""

from __future__ import annotations

import ctypes
import ctypes.util
from ctypes import CFUNCTYPE, POINTER, c_char_p, c_int, c_long, c_uint, c_ulong, c_void_p
from typing import Any

from kioskd.customer.voice import pcm

_PLAYBACK = 0  # SND_PCM_STREAM_PLAYBACK
_S16_LE = 2  # SND_PCM_FORMAT_S16_LE
_INTERLEAVED = 3  # SND_PCM_ACCESS_RW_INTERLEAVED


class AlsaError(OSError):
    """libasound is missing, or the device cannot be opened or written."""


_ERROR_HANDLER = CFUNCTYPE(None, c_char_p, c_int, c_char_p, c_int, c_char_p)
_quiet: list[Any] = []  # the handler, kept alive as long as libasound may call it


def _library() -> ctypes.CDLL:
    name = ctypes.util.find_library("asound")
    if name is None:
        raise AlsaError("libasound is not installed (Debian package libasound2)")
    lib = ctypes.CDLL(name)
    lib.snd_strerror.argtypes, lib.snd_strerror.restype = [c_int], c_char_p
    lib.snd_pcm_open.argtypes = [POINTER(c_void_p), c_char_p, c_int, c_int]
    lib.snd_pcm_set_params.argtypes = [c_void_p, c_int, c_int, c_uint, c_uint, c_int, c_uint]
    lib.snd_pcm_sw_params_malloc.argtypes = [POINTER(c_void_p)]
    lib.snd_pcm_sw_params_current.argtypes = [c_void_p, c_void_p]
    lib.snd_pcm_sw_params_set_start_threshold.argtypes = [c_void_p, c_void_p, c_ulong]
    lib.snd_pcm_sw_params.argtypes = [c_void_p, c_void_p]
    lib.snd_pcm_sw_params_free.argtypes = [c_void_p]
    lib.snd_pcm_writei.argtypes, lib.snd_pcm_writei.restype = [c_void_p, c_void_p, c_ulong], c_long
    lib.snd_pcm_recover.argtypes = [c_void_p, c_int, c_int]
    for call in ("snd_pcm_drain", "snd_pcm_prepare", "snd_pcm_close"):
        getattr(lib, call).argtypes = [c_void_p]
    if not _quiet:
        # libasound prints its own errors to stderr on every failed open; ours say it once, in
        # the log. A callback needs libffi's trampoline: where the sandbox refuses one, it prints.
        try:
            _quiet.append(_ERROR_HANDLER(lambda *_: None))
        except (MemoryError, OSError):
            _quiet.append(None)
        else:
            lib.snd_lib_error_set_handler.argtypes = [c_void_p]
            lib.snd_lib_error_set_handler(ctypes.cast(_quiet[0], c_void_p))
    return lib


class PcmStream:
    """One open playback stream of 16-bit mono PCM at the clips' rate."""

    def __init__(self, device: str, buffer: float) -> None:
        """Open `device` with a buffer of `buffer` seconds (how far writing runs ahead of hearing)."""
        self.device = device
        self._lib = _library()
        handle = c_void_p()
        self._check(self._lib.snd_pcm_open(ctypes.byref(handle), device.encode(), _PLAYBACK, 0), "open")
        self._pcm = handle
        try:
            self._check(self._lib.snd_pcm_set_params(self._pcm, _S16_LE, _INTERLEAVED, 1, pcm.RATE, 1,
                                                      int(buffer * 1_000_000)),
                        "set the format of")
            self._start_at_once()
        except AlsaError:
            self.close()
            raise

    def _start_at_once(self) -> None:
        # ALSA's default starts the sound once the buffer is full; an announcement starts with its first word
        params = c_void_p()
        self._check(self._lib.snd_pcm_sw_params_malloc(ctypes.byref(params)), "set up")
        try:
            self._check(self._lib.snd_pcm_sw_params_current(self._pcm, params), "set up")
            self._check(self._lib.snd_pcm_sw_params_set_start_threshold(self._pcm, params, 1), "set up")
            self._check(self._lib.snd_pcm_sw_params(self._pcm, params), "set up")
        finally:
            self._lib.snd_pcm_sw_params_free(params)

    def write(self, sound: bytes) -> None:
        """Hand the sound to the device; returns once all of it is in the device's buffer."""
        frames, done = len(sound) // pcm.WIDTH, 0
        buffer = ctypes.create_string_buffer(sound, len(sound))
        while done < frames:
            wrote = self._lib.snd_pcm_writei(self._pcm, ctypes.byref(buffer, done * pcm.WIDTH), frames - done)
            if wrote < 0:  # an underrun between announcements, a suspended device: recover, else give up
                self._check(self._lib.snd_pcm_recover(self._pcm, int(wrote), 1), "write to")
                continue
            done += wrote

    def drain(self) -> None:
        """Wait until what was written has been heard; the stream is ready for the next announcement."""
        self._lib.snd_pcm_drain(self._pcm)
        self._check(self._lib.snd_pcm_prepare(self._pcm), "prepare")

    def close(self) -> None:
        """Close the device."""
        if self._pcm:
            self._lib.snd_pcm_close(self._pcm)
            self._pcm = c_void_p()

    def _check(self, code: int, doing: str) -> None:
        if code < 0:
            raise AlsaError(f"cannot {doing} ALSA device {self.device!r}: {self._lib.snd_strerror(code).decode()}")

"""16-bit mono PCM at the clips' rate: trim, scale, silence, WAV in and out (stdlib only)."""

from __future__ import annotations

import io
import sys
import wave
from array import array

RATE = 22050  # espeak-ng's own rate: no resampling anywhere
WIDTH = 2  # bytes per sample (S16_LE)
TRIM_LEVEL = 300  # |sample| below this (about -40 dBFS) counts as silence at a clip's ends
TRIM_MARGIN = RATE // 100  # keep 10 ms around the sound


def _samples(pcm: bytes) -> array:
    samples = array("h")
    samples.frombytes(pcm)
    if sys.byteorder == "big":
        samples.byteswap()
    return samples


def _to_bytes(samples: array) -> bytes:
    if sys.byteorder == "big":
        samples = array("h", samples)
        samples.byteswap()
    return samples.tobytes()


def read_wav(data: bytes) -> bytes:
    """The PCM of a WAV file in our format; ValueError for any other format."""
    with wave.open(io.BytesIO(data)) as wav:
        fmt = (wav.getnchannels(), wav.getsampwidth(), wav.getframerate())
        if fmt != (1, WIDTH, RATE):
            raise ValueError(f"clip is {fmt} (channels, width, rate), expected (1, {WIDTH}, {RATE})")
        return wav.readframes(wav.getnframes())


def wav_bytes(pcm: bytes) -> bytes:
    """A WAV file holding `pcm`."""
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(WIDTH)
        wav.setframerate(RATE)
        wav.writeframes(pcm)
    return out.getvalue()


def trim(pcm: bytes) -> bytes:
    """The sound without the engine's leading and trailing silence (a margin kept)."""
    samples = _samples(pcm)
    loud = [i for i, s in enumerate(samples) if abs(s) >= TRIM_LEVEL]
    if not loud:
        return b""
    start = max(0, loud[0] - TRIM_MARGIN)
    end = min(len(samples), loud[-1] + TRIM_MARGIN)
    return _to_bytes(samples[start:end])


def scale(pcm: bytes, volume: int) -> bytes:
    """Samples times volume/100 (0-100): the loudness set in [voice] volume."""
    if volume >= 100:
        return pcm
    return _to_bytes(array("h", (s * volume // 100 for s in _samples(pcm))))


def silence(ms: int) -> bytes:
    """`ms` milliseconds of silence."""
    return bytes(RATE * ms // 1000 * WIDTH)


def seconds(pcm: bytes) -> float:
    """How long `pcm` plays."""
    return len(pcm) / (RATE * WIDTH)

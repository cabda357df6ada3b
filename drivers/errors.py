"""Driver exception hierarchy; every message names the device, and `cause` says why in a code.

The message is the driver's English for the log; `cause` is what staff read, in words
(kioskd/hall/words.py DEVICE_CAUSES), when the device goes offline over it.
"""


class DeviceError(Exception):
    """Base class for device problems."""

    cause = "device_error"

    def __init__(self, *args: object, cause: str = "") -> None:
        super().__init__(*args)
        if cause:  # a finer cause than the class's own (no reply, port lost ...)
            self.cause = cause


class DeviceUnavailable(DeviceError):
    """The device cannot be reached (port gone, no answer, closed)."""

    cause = "unreachable"


class ProtocolError(DeviceError):
    """A frame or reply that does not follow the wire protocol."""

    cause = "protocol"

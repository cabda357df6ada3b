"""Driver exception hierarchy; every message names the device."""


class DeviceError(Exception):
    """Base class for device problems."""


class DeviceUnavailable(DeviceError):
    """The device cannot be reached (port gone, no answer, closed)."""


class ProtocolError(DeviceError):
    """A frame or reply that does not follow the wire protocol."""

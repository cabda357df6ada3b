"""Device emulators that speak the real wire protocol on a pty."""

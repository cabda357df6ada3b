"""The daemon and its host: systemd notify, the watchdog, run markers and health checks."""

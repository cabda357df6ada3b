"""The Unix-socket control API that kioskctl and the staff page call."""

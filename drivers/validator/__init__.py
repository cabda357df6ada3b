"""Bill validator drivers: the JCM ID-003 codec, its asyncio driver and a pty emulator."""

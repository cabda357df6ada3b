"""Keypad drivers: serial ASCII, evdev (USB HID numeric pad) and the on-screen keypad."""

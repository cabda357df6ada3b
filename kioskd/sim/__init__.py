"""Simulated hardware behind --simulate, and the scripted demo."""

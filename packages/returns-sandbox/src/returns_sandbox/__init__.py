"""Emulators of Loop, NetSuite and Shopify for tests, demos and benchmarks; ``returns-sandbox up`` serves them.

A package of its own: it imports nothing of returns-sync, and returns-sync's production code never imports it.
"""

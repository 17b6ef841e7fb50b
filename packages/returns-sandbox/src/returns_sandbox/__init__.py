"""Emulators of Loop, NetSuite and Shopify for tests, the demo and the bench. Production code never imports this package."""

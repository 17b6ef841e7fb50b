"""Plain httpx clients for Loop, NetSuite and Shopify. No Prefect here: blocks build these."""

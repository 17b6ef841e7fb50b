"""Loop Returns <-> NetSuite returns sync for Shopify merchants."""

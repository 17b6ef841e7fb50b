"""Pure models and posting rules: a Loop return in, NetSuite records out. Imports nothing of ours outside domain."""

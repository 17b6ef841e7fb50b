"""What runs for as long as an operator keeps it running: the scheduled deployments (``serve``), the Loop
webhook receiver, and the local Prefect server the demo starts. ``cli/`` only parses arguments and
calls in here."""

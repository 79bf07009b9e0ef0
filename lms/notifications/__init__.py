"""Email through an outbox: services write OutboundEmail rows in their own transaction;
the scheduler's send job delivers them with the configured backend."""

"""The nomination workflow: models, state machine, routing, policy and services."""

"""AERIS configuration read by tasks, hooks and the UI: connection ids and run settings."""

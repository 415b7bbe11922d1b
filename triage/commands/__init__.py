"""One module per ``triage`` verb."""

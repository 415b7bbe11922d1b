"""Input schema and validation, the UCI loader, clinical scores and the shared feature pipeline."""

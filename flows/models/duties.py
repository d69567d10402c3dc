"""Issue 20: duties (filled in by that work)."""

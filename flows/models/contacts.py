"""Issue 20: contacts (filled in by that work)."""

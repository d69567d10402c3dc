"""Issue 20: consolidation (filled in by that work)."""

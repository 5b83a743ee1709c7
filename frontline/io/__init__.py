"""Reading: every input format to one canonical dated-layer table, and writing outputs."""

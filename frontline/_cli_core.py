"""Core commands: areas, change, monthly."""

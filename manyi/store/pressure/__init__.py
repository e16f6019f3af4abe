"""Counts of the pressure question asked after the thanks page, kept apart from responses."""

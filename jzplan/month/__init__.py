"""One month's run as plain functions: archive, parse, validate, load, recompute."""

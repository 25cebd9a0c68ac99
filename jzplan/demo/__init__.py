"""The reproducible demo inbox (2012 and 2013) that ``make demo`` runs on."""

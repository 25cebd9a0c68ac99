"""The reference data: org units, indicators (the catalog) and the annual plan."""

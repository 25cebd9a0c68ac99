"""The store: SQLAlchemy models, migrations and the reads and writes of each stage."""

"""Great Expectations suites over parsed submissions and the store's history."""


def import_engine() -> None:
    """Import Great Expectations and the project's expectation types now (about 2 s in a new
    process, most of it GE's own imports: scipy, altair): for a caller with idle time to
    fill, such as a run waiting for its temporary Prefect server. Validation imports them
    lazily anyway; a run that validates nothing never calls this."""
    import great_expectations  # noqa: F401

    import jzplan.validate.custom_expectations  # noqa: F401

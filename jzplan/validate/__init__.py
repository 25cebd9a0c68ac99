"""Great Expectations suites over parsed submissions and the store's history."""

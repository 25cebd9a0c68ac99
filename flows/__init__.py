"""Prefect flows composing the tasks into the monthly run, backfills and the demo."""

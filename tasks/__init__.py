"""Prefect tasks: thin wrappers adding retries, names, logging and artifacts to jzplan."""

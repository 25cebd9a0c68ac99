"""Shared vocabulary: periods, states, settings and the types every stage passes on."""

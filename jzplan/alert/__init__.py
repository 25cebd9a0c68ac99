"""Alerts: the rules that raise them, their lifecycle, deadlines and delivery."""

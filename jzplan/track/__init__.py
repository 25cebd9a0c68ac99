"""Area totals, target progress (actual, pace, forecast, status) and the history."""

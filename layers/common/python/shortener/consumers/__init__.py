"""The asynchronous side effects: one module per consumer, one runner for all of them."""

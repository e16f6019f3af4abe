"""What the aggregator remembers between runs: department-month states, closes and served counts."""

"""Rapport benchmark: the real `rapport serve` process on 127.0.0.1, measured side by side
with its baselines. Run `python -m bench run --help` or `make bench`."""

"""Harness: replay, the training loop, run specs, results store and runners."""

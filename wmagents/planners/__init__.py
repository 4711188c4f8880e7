"""Planners: CEM over action sequences, and true-simulator scorers for it."""

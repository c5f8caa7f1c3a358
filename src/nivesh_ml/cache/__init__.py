"""Prediction cache: an ABC, an in-process LRU and a Redis backend, behind a wrapper that never fails."""

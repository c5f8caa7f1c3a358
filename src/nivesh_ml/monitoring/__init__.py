"""Monitoring: the prediction log (current data for drift) and drift detection."""

"""Online feature store and the transaction repository that keeps per-user history and profiles in it."""

"""Online feature store and the builders that keep per-user profiles in it."""

"""HTTP serving: the FastAPI app factory, routes, auth, metrics and model management."""

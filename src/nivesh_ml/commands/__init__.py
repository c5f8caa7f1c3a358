"""Command groups contributed by feature areas; each module has ``register(app)``."""

"""nivesh-ml: machine-learning services behind the Nivesh personal-finance assistant."""

__version__ = "0.1.0"

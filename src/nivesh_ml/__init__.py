"""nivesh-ml: machine-learning services behind the Nivesh personal-finance assistant."""

import os as _os

# MLflow installs its own stderr handler on the "mlflow" logger (propagation off) when imported; we want its
# records in our one masked handler (JSON in server workers, the bootstrap log file during a bootstrap).
_os.environ.setdefault("MLFLOW_CONFIGURE_LOGGING", "false")

__version__ = "0.1.0"

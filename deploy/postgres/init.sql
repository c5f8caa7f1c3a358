-- The MLflow database is created by POSTGRES_DB; Airflow gets its own.
CREATE DATABASE airflow OWNER nivesh;

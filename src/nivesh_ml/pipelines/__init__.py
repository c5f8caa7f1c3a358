"""Pipeline steps shared by the CLI and the Airflow DAGs."""

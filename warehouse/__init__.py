"""The DuckDB warehouse: DDL as .sql files, loads with vintages, views, queries. Never imports flows."""

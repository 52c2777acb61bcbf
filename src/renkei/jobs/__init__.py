"""Durable background jobs kept in the database: no broker, the same on SQLite and PostgreSQL."""

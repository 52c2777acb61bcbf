"""Notifications: per-community preferences, the web list, immediate mail and daily digests."""

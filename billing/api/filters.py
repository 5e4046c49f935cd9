"""Filters of billing."""

"""Capacity on paper: what one request of each route costs, measured, and what
a deployment needs for a given rate (``make bench-capacity``; docs/SCALING.md)."""

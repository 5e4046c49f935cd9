"""Peers of the project for the web benchmark: servers doing the same work on other stacks."""

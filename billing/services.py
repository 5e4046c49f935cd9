"""Writes of billing: API keys, plan limits, subscriptions, invoices and LLM usage.

Each function is one transaction on the ``specs`` database (``atomic_for``).
"""

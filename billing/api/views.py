"""Billing over REST: API keys, the plan, subscriptions, invoices and LLM usage."""

"""The three servers the web benchmark compares, and what they share."""

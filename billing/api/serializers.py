"""Serializers of billing."""

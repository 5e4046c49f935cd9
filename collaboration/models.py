"""Models of this app (database ``specs``)."""

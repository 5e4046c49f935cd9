from rest_framework.throttling import BaseThrottle


def client_ip(request) -> str | None:
    """The client's address, by the same rule as the throttles (``NUM_PROXIES``)."""
    return BaseThrottle().get_ident(request) or None

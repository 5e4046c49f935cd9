from rest_framework.throttling import SimpleRateThrottle


class LoginNameThrottle(SimpleRateThrottle):
    """Limits attempts on one login name, from however many addresses."""

    scope = "login_name"

    def get_cache_key(self, request, view):
        login = request.data.get("login") if hasattr(request.data, "get") else None
        if not isinstance(login, str) or not login:
            return None
        return self.cache_format % {"scope": self.scope, "ident": login.strip().lower()}

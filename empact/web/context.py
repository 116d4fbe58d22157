from django.conf import settings
from django.http import HttpRequest


def platform(request: HttpRequest) -> dict:
    """What every page needs to know about the platform itself."""
    return {"demo_mode": settings.DEMO_MODE}

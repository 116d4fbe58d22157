"""The site's URLs plus the floor: a hello-world view behind the same middleware."""

from django.http import HttpResponse
from django.urls import include, path


def hello(request):
    return HttpResponse("hello")


urlpatterns = [path("bench-hello/", hello), path("", include("empact.urls"))]

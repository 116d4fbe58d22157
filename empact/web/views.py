from django.shortcuts import render


def not_found(request, exception=None):
    return render(request, "web/404.html", status=404)


def permission_denied(request, exception=None):
    return render(request, "web/403.html", status=403)


def server_error(request):
    return render(request, "web/500.html", status=500)

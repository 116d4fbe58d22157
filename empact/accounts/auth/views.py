"""The second-factor pages and the Security page. Thin: form, one service, page."""

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from empact.accounts.auth import services
from empact.accounts.auth.forms import CodeForm, EnrolForm, ReauthenticateForm
from empact.accounts.auth.lockout import is_locked, lockout_response


@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def verify(request):
    user = request.user
    if user.is_verified() or (
        settings.DEMO_MODE and not services.has_second_factor(user)
    ):
        return redirect(_next(request))
    if not services.has_second_factor(user):
        return redirect(_with_next(reverse("account:enrol"), request))
    if is_locked(request, user.get_username()):
        return _sign_out_locked(request)
    form = CodeForm(request.POST or None)
    if form.is_valid():
        check = services.verify_second_factor(request, form.cleaned_data["code"])
        if check.ok:
            return redirect(_next(request))
        if check.locked:
            return _sign_out_locked(request)
        form.add_error("code", check.error)
    context = {
        "form": form,
        "next": _next(request),
        "support_contact": settings.EMPACT_SUPPORT_CONTACT,
    }
    return render(request, "accounts/verify.html", context, status=_status(form))


@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def enrol(request):
    if not services.may_enrol(request):
        return redirect("account:security")
    if is_locked(request, request.user.get_username()):
        return _sign_out_locked(request)
    device = services.enrolment_device(request)
    form = EnrolForm(request.POST or None)
    if form.is_valid():
        code = form.cleaned_data["code"]
        check, codes = services.confirm_enrolment(request, device, code)
        if check.ok:
            return _show_recovery_codes(request, codes, enrolled=True)
        if check.locked:
            return _sign_out_locked(request)
        form.add_error("code", check.error)
    secret = services.enrolment_secret(device)
    context = {"form": form, "next": _next(request), **secret}
    return render(request, "accounts/enrol.html", context, status=_status(form))


@require_http_methods(["GET"])
def security(request):
    return _render_security(request)


@sensitive_post_parameters("password", "code")
@require_POST
def new_authenticator(request):
    form = _reauthenticate(request, form_id="authenticator")
    if form is None:
        return _sign_out_locked(request)
    if form.errors:
        return _render_security(request, authenticator_form=form)
    services.grant_new_authenticator(request)
    return redirect("account:enrol")


@sensitive_post_parameters("password", "code")
@require_POST
def new_recovery_codes(request):
    form = _reauthenticate(request, form_id="recovery")
    if form is None:
        return _sign_out_locked(request)
    if form.errors:
        return _render_security(request, recovery_form=form)
    return _show_recovery_codes(request, services.renew_recovery_codes(request))


def _reauthenticate(request, *, form_id: str):
    """The bound form with the password and code checked; None when now locked."""
    needs_code = services.has_second_factor(request.user)
    form = ReauthenticateForm(request.POST, form_id=form_id, needs_code=needs_code)
    if not form.is_valid():
        return form
    data = form.cleaned_data
    check = services.reauthenticate(request, data["password"], data.get("code"))
    if check.locked:
        return None
    if not check.ok:
        form.add_error(check.field, check.error)
    return form


def _render_security(request, **bound_forms):
    user = request.user
    needs_code = services.has_second_factor(user)
    context = {
        "authenticator": services.authenticator_of(user),
        "recovery": services.recovery_codes_of(user),
        "authenticator_form": ReauthenticateForm(
            form_id="authenticator", needs_code=needs_code
        ),
        "recovery_form": ReauthenticateForm(form_id="recovery", needs_code=needs_code),
        **bound_forms,
    }
    status = 400 if bound_forms else 200
    return render(request, "accounts/security.html", context, status=status)


def _show_recovery_codes(request, codes: list[str], *, enrolled: bool = False):
    context = {"codes": codes, "enrolled": enrolled, "next": _next(request)}
    return render(request, "accounts/recovery_codes.html", context)


def _sign_out_locked(request):
    logout(request)
    return lockout_response(request)


def _status(form) -> int:
    return 400 if form.is_bound and form.errors else 200


def _with_next(url: str, request) -> str:
    return f"{url}?{urlencode({'next': _next(request)})}"


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from empact.accounts import selectors, services
from empact.accounts.forms import ParticipationForm, PlanRoleForm
from empact.errors import UserError


def people(request, slug: str):
    return _render_people(request, slug)


@require_POST
def add_participation(request, slug: str):
    page = selectors.plan_people(slug, actor=request.user, request=request)
    form = ParticipationForm(request.POST, plan=page.plan)
    if form.is_valid():
        try:
            services.add_participation(
                **form.cleaned_data, actor=request.user, request=request
            )
        except UserError as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, "Participation added.")
            return redirect("accounts:people", slug=slug)
    return _render_people(request, slug, participation_form=form, status=400)


@require_POST
def remove_participation(request, slug: str, pk: int):
    page = selectors.plan_people(slug, actor=request.user, request=request)
    participation = _get_or_404(selectors.get_participation, pk, page.plan)
    services.remove_participation(participation, actor=request.user, request=request)
    messages.success(request, f"{participation} removed.")
    return redirect("accounts:people", slug=slug)


@require_POST
def assign_role(request, slug: str):
    page = selectors.plan_people(slug, actor=request.user, request=request)
    form = PlanRoleForm(request.POST, plan=page.plan)
    if form.is_valid():
        data = form.cleaned_data
        scope = {"action": data["action"]} if data["action"] else {"plan": page.plan}
        try:
            services.assign_role(
                data["user"], data["role"], **scope, actor=request.user, request=request
            )
        except UserError as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, "Role given.")
            return redirect("accounts:people", slug=slug)
    return _render_people(request, slug, role_form=form, status=400)


@require_POST
def revoke_role(request, slug: str, pk: int):
    page = selectors.plan_people(slug, actor=request.user, request=request)
    assignment = _get_or_404(selectors.get_role_assignment, pk, page.plan)
    services.revoke_role(assignment, actor=request.user, request=request)
    messages.success(request, f"{assignment} taken back.")
    return redirect("accounts:people", slug=slug)


def _render_people(
    request, slug, *, participation_form=None, role_form=None, status=200
):
    page = selectors.plan_people(slug, actor=request.user, request=request)
    context = {
        "page": page,
        "plan": page.plan,
        "participation_form": participation_form or ParticipationForm(plan=page.plan),
        "role_form": role_form or PlanRoleForm(plan=page.plan),
    }
    return render(request, "accounts/people.html", context, status=status)


def _get_or_404(getter, pk, plan):
    try:
        return getter(pk, plan=plan)
    except ObjectDoesNotExist:
        raise Http404("not found") from None

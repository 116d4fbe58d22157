"""Joint Action Day pages: the plan's JADs and planning one, one JAD with its
results and KPI mapping, and one organisation's results. Each view parses, calls
one selector or service, and responds: a UserError re-renders the page with 400,
a refusal (PermissionDenied) with 403 and the reason."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from empact.accounts import permissions
from empact.errors import UserError
from empact.reporting import jad_selectors as selectors
from empact.reporting import jads
from empact.reporting.jad_forms import JADMappingForm, JADResultsForm, PlanJADForm
from empact.reporting.selectors import plan_for

RESULTS_PAGE = "reporting/jad_results.html"


def _refusal(e: PermissionDenied) -> UserError:
    action = e.args[0] if e.args else ""
    return UserError(
        "you may not do this",
        [selectors.REFUSALS.get(action, "your roles do not allow it")],
    )


# The plan's JADs ------------------------------------------------------------------


def jad_list(request, slug: str):
    return _render_list(request, slug)


@require_POST
def create_jad(request, slug: str):
    plan = plan_for(slug, actor=request.user, request=request)
    form = PlanJADForm(request.POST, plan=plan)
    try:
        permissions.require(request.user, "jad.manage", plan, request=request)
        if not form.is_valid():
            raise UserError("the JAD was not planned", _form_problems(form))
        data = form.cleaned_data
        jad = jads.plan_jad(
            plan,
            name=data["name"],
            starts=data["starts"],
            ends=data["ends"],
            actions=list(data["actions"]),
            lead=data["lead"],
            participants=data["participants"],
            actor=request.user,
            request=request,
        )
    except PermissionDenied as e:
        return _render_list(request, slug, error=_refusal(e), status=403)
    except UserError as e:
        return _render_list(request, slug, form=form, error=e, status=400)
    messages.success(
        request, f"{jad.name} planned. Participants can now record results."
    )
    return redirect("jads:detail", pk=jad.pk)


def _render_list(request, slug, *, form=None, error=None, status=200):
    page = selectors.jads_page(slug, actor=request.user, request=request)
    context = {
        "page": page,
        "plan": page.plan,
        "form": form or PlanJADForm(plan=page.plan),
        "error": error,
    }
    return render(request, "reporting/jads.html", context, status=status)


# One JAD --------------------------------------------------------------------------


def jad_detail(request, pk: int):
    jad = selectors.get_jad_for(request.user, pk, request=request)
    return _render_detail(request, jad)


@require_POST
def map_kpi(request, pk: int):
    jad = selectors.get_jad_for(request.user, pk, request=request)
    form = JADMappingForm(request.POST, kpis=selectors.jad_kpis(jad))
    try:
        permissions.require(request.user, "jad.coordinate", jad, request=request)
        if not form.is_valid():
            raise UserError("no KPI was mapped", _form_problems(form))
        mapping = jads.map_kpi(
            form.chosen_kpi(),
            measure=form.cleaned_data["measure"],
            seizure_kind=form.cleaned_data["seizure_kind"],
            actor=request.user,
            request=request,
        )
    except PermissionDenied as e:
        return _render_detail(request, jad, error=_refusal(e), status=403)
    except UserError as e:
        return _render_detail(request, jad, mapping_form=form, error=e, status=400)
    measure = mapping.get_measure_display().lower()
    messages.success(request, f"{mapping.kpi} now counts JAD {measure}.")
    return redirect("jads:detail", pk=pk)


def _render_detail(request, jad, *, mapping_form=None, error=None, status=200):
    page = selectors.jad_page(jad, actor=request.user, request=request)
    context = {
        "page": page,
        "jad": jad,
        "plan": jad.plan,
        "mapping_form": mapping_form
        or JADMappingForm(kpis=[row.kpi for row in page.mappings]),
        "error": error,
    }
    return render(request, "reporting/jad.html", context, status=status)


# One organisation's results ---------------------------------------------------------


@require_http_methods(["GET", "POST"])
def jad_results(request, pk: int, code: str):
    jad = selectors.get_jad_for(request.user, pk, request=request)
    organisation = selectors.participant_for(jad, code)
    context = {"jad": jad, "plan": jad.plan, "organisation": organisation}
    try:
        jads.require_recording(jad, organisation, actor=request.user, request=request)
    except PermissionDenied as e:
        context.update(error=_refusal(e), refused=True)
        return render(request, RESULTS_PAGE, context, status=403)
    if request.method != "POST":
        results = selectors.consult_results(
            jad, organisation, actor=request.user, request=request
        )
        context["form"] = JADResultsForm(results=results)
        return render(request, RESULTS_PAGE, context)
    return _post_results(request, jad, organisation, context)


def _post_results(request, jad, organisation, context):
    results = selectors.results_of(jad, organisation)
    form = JADResultsForm(request.POST, results=results)
    try:
        _save_results(request, jad, organisation, form)
    except PermissionDenied as e:
        context.update(error=_refusal(e), refused=True)
        return render(request, RESULTS_PAGE, context, status=403)
    except UserError as e:
        context.update(error=e, form=form)
        return render(request, RESULTS_PAGE, context, status=400)
    messages.success(request, f"{organisation.code}'s results in {jad.name} saved.")
    return redirect("jads:detail", pk=jad.pk)


def _save_results(request, jad, organisation, form) -> None:
    if not form.is_valid():
        problems = _form_problems(form)
        raise UserError(f"{organisation.code}'s results were not saved", problems)
    jads.record_jad_results(
        jad, organisation, results=form.results(), actor=request.user, request=request
    )


def _form_problems(form) -> list[str]:
    return [
        f"{form.fields[name].label}: {message}" if name != "__all__" else message
        for name, errors in form.errors.items()
        for message in errors
    ]

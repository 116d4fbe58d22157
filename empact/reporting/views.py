"""Reporting pages: periods, the contributions to an OA in a period, and one
contribution with its workflow. Each view parses, calls one selector or service,
and responds; a UserError from a service re-renders the page with status 400."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from empact.errors import UserError, form_problems
from empact.reporting import selectors, services, xlsx
from empact.reporting.forms import (
    AmendmentForm,
    ContributionForm,
    DecisionForm,
    PeriodForm,
    PeriodStepForm,
    StepForm,
)
from empact.reporting.jad_selectors import jad_mapped_kpis
from empact.reporting.xlsx.inspect import limits_from_settings

STEP_DONE = {
    "submit": "Submitted: the action leader can now accept or return it.",
    "accept": "Accepted.",
    "return": "Returned to the organisation with your reason; it is a draft again.",
}
PERIOD_STEP_DONE = {
    "open": "opened: participants can report",
    "close": "closed: no more edits or submissions",
    "lock": "locked: a change now needs an amendment the driver approves",
}


# Periods -------------------------------------------------------------------------


def periods(request, slug: str):
    return _render_periods(request, slug)


@require_POST
def create_period(request, slug: str):
    plan = selectors.plan_for(slug, actor=request.user, request=request)
    form = PeriodForm(request.POST, plan=plan)
    if form.is_valid():
        data = form.cleaned_data
        try:
            period = services.create_period(
                plan,
                data["year"],
                data["half"],
                deadline=data["deadline"],
                actor=request.user,
                request=request,
            )
        except UserError as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, f"Period {period.code} created, not open yet.")
            return redirect("reporting:periods", slug=slug)
    return _render_periods(request, slug, period_form=form, status=400)


@require_POST
def step_period(request, slug: str, period: str):
    found = selectors.get_period_for(slug, period, actor=request.user, request=request)
    form = PeriodStepForm(request.POST)
    try:
        if not form.is_valid():
            problems = form_problems(form)
            raise UserError(f"the period {found.code} was not changed", problems)
        step = form.cleaned_data["step"]
        services.step_period(found, step, actor=request.user, request=request)
    except UserError as e:
        return _render_periods(request, slug, error=e, status=400)
    messages.success(request, f"Period {found.code} {PERIOD_STEP_DONE[step]}.")
    return redirect("reporting:periods", slug=slug)


def _render_periods(request, slug, *, period_form=None, error=None, status=200):
    page = selectors.periods_page(slug, actor=request.user, request=request)
    context = {
        "page": page,
        "plan": page.plan,
        "period_form": period_form
        or PeriodForm(plan=page.plan, periods=[row.period for row in page.periods]),
        "error": error,
    }
    return render(request, "reporting/periods.html", context, status=status)


# Contributions to one OA in one period --------------------------------------------


def period_action(request, slug: str, period: str, ref: str):
    page = selectors.period_action_page(
        slug, period, ref, actor=request.user, request=request
    )
    context = {"page": page, "plan": page.plan}
    return render(request, "reporting/period_action.html", context)


@require_POST
def start_contribution(request, slug: str, period: str, ref: str):
    found, action = selectors.get_period_and_action(
        slug, period, ref, actor=request.user, request=request
    )
    try:
        if request.user.organisation is None:
            raise UserError(f"{request.user} belongs to no organisation")
        started = services.start_contribution(
            request.user.organisation,
            action,
            found,
            actor=request.user,
            request=request,
        )
    except UserError as e:
        return _render_periods(request, slug, error=e, status=400)
    return redirect("reporting:contribution", pk=started.pk)


# One contribution ------------------------------------------------------------------


def contribution(request, pk: int):
    found = selectors.get_contribution_for(request.user, pk, request=request)
    return _render_contribution(request, found)


@require_POST
def edit_contribution(request, pk: int):
    found = selectors.get_contribution_for(
        request.user, pk, request=request, permission="contribution.edit"
    )
    report = selectors.contribution_report(found)
    form = ContributionForm(request.POST, report=report)
    if not form.is_valid():
        return _render_contribution(request, found, edit_form=form, status=400)
    try:
        services.save_contribution(
            found,
            version=form.cleaned_data["version"],
            values=form.value_inputs(),
            statuses=form.status_inputs(),
            narrative=form.cleaned_data["narrative"],
            actor=request.user,
            today=timezone.localdate(),
            request=request,
        )
    except UserError as e:
        return _render_contribution(request, found, edit_form=form, error=e, status=400)
    messages.success(request, "Saved. Submit it when it is complete.")
    return redirect("reporting:contribution", pk=pk)


def download_template(request, pk: int):
    found = selectors.get_contribution_for(request.user, pk, request=request)
    data = xlsx.template_for(found, actor=request.user, request=request)
    response = HttpResponse(data, content_type=xlsx.CONTENT_TYPE)
    response["Content-Disposition"] = (
        f'attachment; filename="{xlsx.filename_for(found)}"'
    )
    return response


@require_POST
def upload_workbook(request, pk: int):
    found = selectors.get_contribution_for(
        request.user, pk, request=request, permission="contribution.edit"
    )
    upload = request.FILES.get("workbook")
    if upload is None:
        error = UserError("choose the filled workbook (.xlsx) to upload")
        return _render_contribution(request, found, error=error, status=400)
    max_bytes = limits_from_settings().max_bytes
    if upload.size > max_bytes:  # refused before it is read into memory
        error = UserError(
            f"{upload.name} is larger than the {max_bytes // 2**20} "
            "MiB a reporting workbook may be"
        )
        return _render_contribution(request, found, error=error, status=400)
    try:
        xlsx.upload_workbook(
            found,
            upload.read(),
            actor=request.user,
            today=timezone.localdate(),
            request=request,
        )
    except UserError as e:
        return _render_contribution(request, found, error=e, status=400)
    messages.success(
        request, "Workbook uploaded and saved. Submit it when it is complete."
    )
    return redirect("reporting:contribution", pk=pk)


@require_POST
def step_contribution(request, pk: int):
    found = selectors.get_contribution_for(request.user, pk, request=request)
    form = StepForm(request.POST)
    if not form.is_valid():
        error = UserError("nothing was changed", form_problems(form))
        return _render_contribution(request, found, error=error, status=400)
    step = form.cleaned_data["step"]
    try:
        services.take_step(
            found,
            step,
            version=form.cleaned_data["version"],
            reason=form.cleaned_data["reason"],
            actor=request.user,
            today=timezone.localdate(),
            request=request,
        )
    except UserError as e:
        return _render_contribution(
            request, found, error=e, stale=form.cleaned_data["version"], status=400
        )
    messages.success(request, STEP_DONE[step])
    return redirect("reporting:contribution", pk=pk)


@require_POST
def request_amendment(request, pk: int):
    found = selectors.get_contribution_for(
        request.user, pk, request=request, permission="contribution.edit"
    )
    form = AmendmentForm(request.POST, report=selectors.contribution_report(found))
    if not form.is_valid():
        return _render_contribution(request, found, amendment_form=form, status=400)
    try:
        services.request_amendment(
            found,
            proposed=form.proposed(),
            reason=form.cleaned_data["reason"],
            actor=request.user,
            request=request,
        )
    except UserError as e:
        return _render_contribution(
            request, found, amendment_form=form, error=e, status=400
        )
    messages.success(request, "Amendment requested: the driver will decide.")
    return redirect("reporting:contribution", pk=pk)


@require_POST
def decide_amendment(request, pk: int):
    amendment = selectors.get_amendment_for(request.user, pk, request=request)
    form = DecisionForm(request.POST)
    try:
        if not form.is_valid():
            raise UserError("the amendment was not decided", form_problems(form))
        approve = form.cleaned_data["decision"] == "approve"
        services.decide_amendment(
            amendment,
            approve=approve,
            reason=form.cleaned_data["reason"],
            actor=request.user,
            request=request,
        )
    except UserError as e:
        return _render_contribution(
            request, amendment.contribution, error=e, status=400
        )
    messages.success(
        request, "Amendment approved and applied." if approve else "Amendment rejected."
    )
    return redirect("reporting:contribution", pk=amendment.contribution_id)


def _render_contribution(
    request,
    contribution,
    *,
    edit_form=None,
    amendment_form=None,
    error=None,
    stale=None,
    status=200,
):
    page = selectors.contribution_page(
        contribution, actor=request.user, today=timezone.localdate(), request=request
    )
    if edit_form is not None:
        stale = edit_form.data.get("version")
    context = {
        "page": page,
        "contribution": contribution,
        "plan": contribution.action.plan,
        "edit_form": edit_form
        or ContributionForm(
            report=page.report, initial={"version": contribution.version}
        ),
        "amendment_form": amendment_form or AmendmentForm(report=page.report),
        "error": error,
        "is_stale": stale is not None and str(stale) != str(contribution.version),
        "jad_mapped": jad_mapped_kpis(contribution.action),
    }
    return render(request, "reporting/contribution.html", context, status=status)

"""Tightening a dataset's handling code from the datasets page (POST only).

Thin: the form, one service (empact.analysis.handling), and the datasets page
again, with the error and status 400 when the service refuses."""

from django.contrib import messages
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from empact.accounts import permissions
from empact.analysis.forms import TightenForm
from empact.analysis.handling import tighten_handling
from empact.analysis.models import Dataset
from empact.analysis.views import _render_datasets
from empact.errors import UserError, form_problems


@require_POST
def tighten(request, pk: int):
    permissions.require(request.user, "analysis.handling", request=request)
    dataset = Dataset.objects.filter(pk=pk).select_related("contributor").first()
    form = TightenForm(request.POST)
    try:
        if dataset is None:
            raise UserError("no such dataset is held")
        if not form.is_valid():
            raise UserError(f"{dataset.name} is unchanged", form_problems(form))
        done = tighten_handling(
            dataset,
            form.cleaned_data["code"],
            actor=request.user,
            reason=form.cleaned_data["reason"],
            request=request,
        )
    except UserError as e:
        return _render_datasets(request, error=e, status=400)
    if done.changed:
        messages.success(
            request,
            f"{dataset.name} is now {done.code} (was {done.previous}); "
            f"{done.hits} hit(s) took the stricter code.",
        )
    else:
        messages.info(
            request, f"{dataset.name} is already {done.code}; nothing changed."
        )
    return redirect("analysis:datasets")

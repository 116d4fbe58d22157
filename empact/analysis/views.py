"""Analysis pages: datasets and runs for analysts, hits and releases for
contributors, retention for the DPO. Each view parses, calls one selector or
service, and responds; a UserError re-renders the page with status 400."""

import tempfile
from pathlib import Path

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.views.decorators.http import require_POST

from empact.accounts import permissions
from empact.analysis import selectors, services, store
from empact.analysis.forms import DecisionForm, ImportForm, KeepForm, ReasonForm
from empact.analysis.models import Dataset
from empact.analysis.runs import queue_crossmatch
from empact.errors import UserError, form_problems

# Datasets and runs (analysts) ------------------------------------------------------


def datasets(request):
    return _render_datasets(request)


@require_POST
def import_dataset(request):
    permissions.require(request.user, "analysis.view", request=request)
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        error = UserError("nothing was imported", form_problems(form))
        return _render_datasets(request, form=form, error=error, status=400)
    data = form.cleaned_data
    given = services.Contribution(
        contributor=data["contributor"],
        handling=data["handling"],
        purpose=data["purpose"],
        collected_on=data["collected_on"],
        source_code=data["source_code"],
        info_code=data["info_code"],
        role=data["role"],
        restrictions=data["restrictions"],
    )
    try:
        with tempfile.TemporaryDirectory(dir=store.root(), prefix=".upload-") as tmp:
            path = _saved(data["file"], Path(tmp))
            mapping = _saved(data["mapping"], Path(tmp)) if data["mapping"] else None
            dataset, created = services.ingest_dataset(
                path, given, actor=request.user, mapping_path=mapping, request=request
            )
    except UserError as e:
        return _render_datasets(request, form=form, error=e, status=400)
    if created:
        messages.success(
            request, f"Imported {dataset.name}: {dataset.entities:,} entities."
        )
    else:
        messages.info(request, f"This file is already {dataset.name}; nothing changed.")
    return redirect("analysis:datasets")


def runs(request):
    context = {
        "runs": selectors.runs(request.user),
        "hits": selectors.all_hits(request.user),
    }
    return render(request, "analysis/runs.html", context)


@require_POST
def start_run(request):
    permissions.require(request.user, "analysis.run", request=request)
    run = queue_crossmatch(
        actor=request.user,
        persons=request.POST.get("persons") == "yes",
        retrain=request.POST.get("retrain") == "yes",
        request=request,
    )
    messages.success(
        request,
        f"Run {run.pk} is queued: a worker runs it shortly, and its hits then "
        "replace the last run's. Reload this page to follow it.",
    )
    return redirect("analysis:runs")


def open_entity(request):
    """GET asks for the reason; POST with a reason shows the content."""
    permissions.require(request.user, "analysis.open", request=request)
    source = request.POST if request.method == "POST" else request.GET
    dataset = Dataset.objects.filter(name=source.get("dataset", "")).first()
    entity = source.get("entity", "")
    context = {"dataset": dataset, "entity": entity, "form": ReasonForm()}
    if dataset is None or not entity:
        context["error"] = UserError("name a dataset and an entity to open")
        return render(request, "analysis/open_entity.html", context, status=400)
    if request.method == "POST":
        form = context["form"] = ReasonForm(request.POST)
        try:
            why = form.data.get("why", "")
            context["rows"] = selectors.entity_content(
                request.user, dataset, entity, why=why, request=request
            )
        except UserError as e:
            context["error"] = e
            return render(request, "analysis/open_entity.html", context, status=400)
    return render(request, "analysis/open_entity.html", context)


# Hits and releases (contributors) --------------------------------------------------


def hits(request):
    return _render_hits(request)


@require_POST
def request_release(request, pk: int):
    hit = selectors.own_hit(request.user, pk, request=request)
    form = ReasonForm(request.POST)
    try:
        why = form.data.get("why", "")
        services.request_release(hit, actor=request.user, why=why, request=request)
    except UserError as e:
        return _render_hits(request, error=e, status=400)
    messages.success(request, "Release requested; the provider decides.")
    return redirect("analysis:hits")


@require_POST
def decide_release(request, pk: int):
    release = selectors.release_for(request.user, pk, request=request)
    form = DecisionForm(request.POST)
    try:
        if not form.is_valid():
            raise UserError("the request was not decided", form_problems(form))
        release = services.decide_release(
            release,
            actor=request.user,
            grant=form.cleaned_data["grant"],
            reason=form.cleaned_data["reason"],
            request=request,
        )
    except UserError as e:
        return _render_hits(request, error=e, status=400)
    messages.success(request, f"Request {release.get_state_display().lower()}.")
    return redirect("analysis:hits")


# Retention (DPO) ---------------------------------------------------------------------


def retention(request):
    return _render_retention(request)


@require_POST
def keep_dataset(request, pk: int):
    permissions.require(request.user, "analysis.retention", request=request)
    dataset = Dataset.objects.filter(pk=pk, erased_at=None).first()
    form = KeepForm(request.POST)
    try:
        if dataset is None:
            raise UserError("no such dataset is held")
        if not form.is_valid():
            raise UserError(f"{dataset} is unchanged", form_problems(form))
        services.keep_dataset(
            dataset,
            actor=request.user,
            until=form.cleaned_data["until"],
            reason=form.cleaned_data["reason"],
            today=timezone.localdate(),
            request=request,
        )
    except UserError as e:
        return _render_retention(request, error=e, status=400)
    messages.success(request, f"{dataset.name} kept until {dataset.review_date}.")
    return redirect("analysis:retention")


# Rendering ---------------------------------------------------------------------------


def _render_datasets(request, *, form=None, error=None, status=200):
    context = {
        "datasets": selectors.datasets(request.user),
        "form": form or ImportForm(),
        "error": error,
    }
    return render(request, "analysis/datasets.html", context, status=status)


def _render_hits(request, *, error=None, status=200):
    organisation = request.user.organisation
    context = {
        "organisation": organisation,
        "hits": selectors.own_hits(request.user, organisation, request=request),
        "releases": selectors.releases_to_decide(
            request.user, organisation, request=request
        ),
        "error": error,
    }
    return render(request, "analysis/hits.html", context, status=status)


def _render_retention(request, *, error=None, status=200):
    today = timezone.localdate()
    context = {
        "due": selectors.retention_due(request.user, today=today),
        "today": today,
        "error": error,
    }
    return render(request, "analysis/retention.html", context, status=status)


def _saved(upload, folder: Path) -> Path:
    path = folder / get_valid_filename(Path(upload.name).name or "upload")
    with path.open("wb") as f:
        for chunk in upload.chunks():
            f.write(chunk)
    return path

from django.shortcuts import render

from empact.organisations import selectors


def organisation_list(request):
    groups = selectors.organisations_by_kind(actor=request.user)
    return render(request, "organisations/list.html", {"groups": groups})


def organisation_detail(request, code: str):
    organisation = selectors.get_organisation(code, actor=request.user)
    return render(request, "organisations/detail.html", {"organisation": organisation})

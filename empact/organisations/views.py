from django.shortcuts import render

from empact.organisations import selectors


def organisation_list(request):
    groups = selectors.organisations_by_kind()
    return render(request, "organisations/list.html", {"groups": groups})


def organisation_detail(request, code: str):
    organisation = selectors.get_organisation(code)
    return render(request, "organisations/detail.html", {"organisation": organisation})

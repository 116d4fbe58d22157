from django.shortcuts import redirect, render

from empact.plans import selectors


def home(request):
    plans = list(selectors.plans_list(actor=request.user))
    if len(plans) == 1:
        return redirect("plans:overview", slug=plans[0].slug)
    return render(request, "plans/home.html", {"plans": plans})


def overview(request, slug: str):
    plan = selectors.plan_overview(slug, actor=request.user, request=request)
    return render(request, "plans/overview.html", {"plan": plan})


def action(request, slug: str, ref: str):
    page = selectors.get_action_page(slug, ref, actor=request.user, request=request)
    context = {"page": page, "action": page.action, "plan": page.action.plan}
    return render(request, "plans/action.html", context)


def versions(request, slug: str):
    plan = selectors.plan_versions(slug, actor=request.user, request=request)
    return render(request, "plans/versions.html", {"plan": plan})

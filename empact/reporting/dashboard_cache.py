"""The plan dashboard's figures, rendered once per change of the data.

The page adds up every value of the plan (some 80 ms of CPU for 2 years × 26 OAs
× 40 organisations), and everyone who may see the plan sees the same figures
(dashboards.py: aggregates only). So the part below the page's header is kept in
the cache under the plan, the day (targets are pro rata of elapsed time), the
thresholds and the name of the latest change in the audit log: any audited change
anywhere renders it anew, which is coarse but cannot miss a change. It is
rendered without the request, so nothing of the user who first asked can be in
what the next one is shown.
"""

from datetime import date

from django.core.cache import cache
from django.template.loader import render_to_string

from empact.audit.selectors import last_change
from empact.plans.models import Plan
from empact.plans.selectors import _require_plan
from empact.reporting.dashboards import configured_thresholds, plan_figures

KEPT_SECONDS = 24 * 3600


def plan_dashboard_page(slug: str, *, actor, today: date, request=None) -> dict:
    """The context of the plan dashboard page: the plan and its rendered figures;
    Http404 for an unknown or invisible plan."""
    pk = _require_plan(slug, actor=actor, request=request)
    plan = Plan.objects.select_related("driver").get(pk=pk)
    thresholds = configured_thresholds()
    # The change's name first: a change committed after it re-renders next time.
    levels = f"{thresholds.green}-{thresholds.amber}"
    key = ":".join(
        ["plan-dashboard", str(pk), today.isoformat(), levels, last_change()]
    )
    figures = cache.get(key)
    if figures is None:
        page = plan_figures(plan, today=today, thresholds=thresholds)
        figures = render_to_string(
            "reporting/dashboard_figures.html", {"page": page, "plan": plan}
        )
        cache.set(key, figures, KEPT_SECONDS)
    return {"plan": plan, "figures": figures}

"""Every route × every role against the expected-access table below (T-1, T-2, T-3).

A route that is not in the table fails the test, so no route ships unchecked. The
world has organisations that drive, lead, take part in and stay outside a plan,
and one user per role; each route is requested as each of them.
"""

import json
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from empact.accounts.models import Participation, RoleAssignment, User
from empact.accounts.tests.helpers import sign_in
from empact.organisations.models import Organisation
from empact.plans.models import Plan
from empact.plans.tests.factories import make_organisation, make_plan
from empact.reporting import jads, services
from empact.reporting.models import AmendmentRequest

Role = RoleAssignment.Role
ROLES = (
    "anonymous",
    "driver",
    "co_driver",
    "action_leader",
    "co_leader",
    "participant",
    "nec",
    "support",
    "analyst",
    "auditor",
    "administrator",
    "outsider",
)
SIGNED_IN = frozenset(ROLES) - {"anonymous"}
PLAN_READERS = frozenset(
    {
        "driver",
        "co_driver",
        "action_leader",
        "co_leader",
        "participant",
        "nec",
        "support",
        "analyst",
    }
)
PLAN_DRIVERS = frozenset({"driver", "co_driver"})
# FR's contribution: its editor, the OA's leaders, the drivers, support, FR's NEC.
CONTRIBUTION_READERS = frozenset(
    {"driver", "co_driver", "action_leader", "co_leader", "participant", "nec"}
    | {"support"}
)
PERIOD_MANAGERS = PLAN_DRIVERS | {"support"}
# The JAD of the world is linked to OA 1.1: its coordinators record any
# participant's results (DE's here) and declare what the OA's KPIs count.
JAD_COORDINATORS = PLAN_DRIVERS | {"support", "action_leader", "co_leader"}
# Users of an organisation with a role in an OA, its NEC or its analyst see the hits
# of their organisation's data; those of FR and EUROPOL see the world's one hit.
HIT_READERS = frozenset({"participant", "nec", "action_leader", "co_leader", "analyst"})
HIT_SIDES = frozenset({"participant", "nec", "action_leader", "analyst"})


@dataclass(frozen=True)
class Access:
    allowed: frozenset
    method: str = "get"
    refused: str = (
        "hidden"  # what a signed-in user without access gets: hidden | forbidden
    )
    data: dict = field(default_factory=dict)
    json: bool = False  # send `data` as a JSON body (the API)
    # For a plan's routes whose rule is not need-to-know (period.manage): what the
    # plan's readers get; everyone else still gets `refused`, so the plan stays hidden.
    refused_to_readers: str = ""


# The expected-access table: route name → who may use it.
TABLE: dict[str, Access] = {
    "login": Access(frozenset(ROLES)),
    "logout": Access(frozenset(ROLES), method="post"),
    "plans:home": Access(SIGNED_IN),
    "plans:overview": Access(PLAN_READERS),
    "plans:action": Access(PLAN_READERS),
    "plans:versions": Access(PLAN_READERS),
    "dashboards:plan": Access(PLAN_READERS),
    "dashboards:action": Access(PLAN_READERS),
    "dashboards:organisation": Access(PLAN_READERS),
    "organisations:list": Access(SIGNED_IN),
    "organisations:detail": Access(SIGNED_IN),
    "accounts:people": Access(PLAN_DRIVERS),
    "accounts:add_participation": Access(PLAN_DRIVERS, method="post"),
    "accounts:remove_participation": Access(PLAN_DRIVERS, method="post"),
    "accounts:assign_role": Access(PLAN_DRIVERS, method="post"),
    "accounts:revoke_role": Access(PLAN_DRIVERS, method="post"),
    "account:verify": Access(SIGNED_IN),
    "account:enrol": Access(SIGNED_IN),
    "account:security": Access(SIGNED_IN),
    "account:new_authenticator": Access(SIGNED_IN, method="post"),
    "account:new_recovery_codes": Access(SIGNED_IN, method="post"),
    "admin:login": Access(frozenset(ROLES)),
    "admin:logout": Access(frozenset(ROLES), method="post"),
    # No model of ours has a public page, so "view on site" leads nowhere, even
    # for administrators; everyone else is sent to the admin's sign-in.
    "admin:view_on_site": Access(frozenset(), refused="admin-login"),
    "audit:log": Access(frozenset({"auditor"})),
    "audit:export_csv": Access(frozenset({"auditor"})),
    "audit:export_xlsx": Access(frozenset({"auditor"})),
    # The API, called here with the signed-in session (django_auth, CSRF checked);
    # bearer tokens act as their user and are checked in reporting/tests/api/.
    # The contribution is FR's, for OA 1.1, in an open period, with one pending
    # amendment request; the JAD is the world's (led by FR, DE taking part).
    "api-1.0.0:api-root": Access(frozenset()),  # only says there are no docs
    "api-1.0.0:openapi-json": Access(SIGNED_IN),
    "api-1.0.0:list_plans": Access(SIGNED_IN),  # each sees the plans visible to them
    "api-1.0.0:get_plan": Access(PLAN_READERS),
    "api-1.0.0:list_periods": Access(PLAN_READERS),
    "api-1.0.0:list_contributions": Access(SIGNED_IN),  # the visible ones
    "api-1.0.0:get_contribution": Access(CONTRIBUTION_READERS),
    "api-1.0.0:start_contribution": Access(
        frozenset({"action_leader", "co_leader", "participant"}),
        method="post",
        data={"plan": "oap-test", "oa": "1.1", "period": "2024-H1"},
        json=True,
    ),
    "api-1.0.0:save_contribution": Access(
        frozenset({"participant"}), method="put", data={"version": 1}, json=True
    ),
    "api-1.0.0:submit_contribution": Access(
        frozenset({"participant"}), method="post", data={"version": 1}, json=True
    ),
    # The OA's leaders get 400 here: a draft cannot be accepted or returned.
    "api-1.0.0:accept_contribution": Access(
        frozenset({"action_leader", "co_leader"}),
        method="post",
        data={"version": 1},
        json=True,
    ),
    "api-1.0.0:return_contribution": Access(
        frozenset({"action_leader", "co_leader"}),
        method="post",
        data={"version": 1, "reason": "incomplete"},
        json=True,
    ),
    "api-1.0.0:list_amendments": Access(SIGNED_IN),  # of the visible contributions
    "api-1.0.0:get_amendment": Access(CONTRIBUTION_READERS),
    # The participant gets 400: the period is open, so it edits instead.
    "api-1.0.0:request_amendment": Access(
        frozenset({"participant"}),
        method="post",
        data={"reason": "a typo", "narrative": "Corrected."},
        json=True,
    ),
    "api-1.0.0:decide_amendment": Access(
        PLAN_DRIVERS,
        method="post",
        data={"decision": "reject", "reason": "no"},
        json=True,
    ),
    "api-1.0.0:list_jads": Access(PLAN_READERS),
    "api-1.0.0:get_jad": Access(PLAN_READERS),
    # For the caller's own organisation: FR's participant and DE's driver record;
    # the other coordinators get 400 (their organisation did not take part); the
    # plan's other readers are refused with the reason.
    "api-1.0.0:record_jad_result": Access(
        JAD_COORDINATORS | {"participant"},
        method="post",
        refused_to_readers="forbidden",
        data={"measure": "arrests", "value": 1},
        json=True,
    ),
    # The reporting pages, on the same world: FR's contribution to OA 1.1 in the
    # open period 2024-H1, with one pending amendment request.
    "reporting:periods": Access(PLAN_READERS),
    "reporting:create_period": Access(
        PERIOD_MANAGERS,
        method="post",
        refused_to_readers="forbidden",
        data={"year": 2024, "half": 2, "deadline": "2024-12-31"},
    ),
    "reporting:step_period": Access(
        PERIOD_MANAGERS,
        method="post",
        refused_to_readers="forbidden",
        data={"step": "close"},
    ),
    "reporting:period_action": Access(PLAN_READERS),
    "reporting:start_contribution": Access(
        frozenset({"action_leader", "co_leader", "participant"}), method="post"
    ),
    "reporting:contribution": Access(CONTRIBUTION_READERS),
    "reporting:edit_contribution": Access(
        frozenset({"participant"}), method="post", data={"version": 1}
    ),
    "reporting:download_template": Access(CONTRIBUTION_READERS),
    # Allowed editors get 400 here: the request carries no workbook.
    "reporting:upload_workbook": Access(frozenset({"participant"}), method="post"),
    "reporting:step_contribution": Access(
        frozenset({"action_leader", "co_leader"}),
        method="post",
        data={"step": "accept", "version": 1},
    ),
    "reporting:request_amendment": Access(
        frozenset({"participant"}), method="post", data={"amend-reason": "a typo"}
    ),
    "reporting:decide_amendment": Access(
        PLAN_DRIVERS, method="post", data={"decision": "reject", "reason": "no"}
    ),
    # Joint Action Days: the world's JAD, led by FR with DE taking part. Allowed
    # people get 400 from the posts: they carry no form data.
    "jads:list": Access(PLAN_READERS),
    "jads:create": Access(
        JAD_COORDINATORS, method="post", refused_to_readers="forbidden"
    ),
    "jads:detail": Access(PLAN_READERS),
    "jads:map_kpi": Access(
        JAD_COORDINATORS, method="post", refused_to_readers="forbidden"
    ),
    # DE's results: FR's participant contact records FR's own results only.
    "jads:results": Access(JAD_COORDINATORS, refused_to_readers="forbidden"),
    # Reports are plan-wide disclosures: the plan's drivers and EMPACT support.
    # The post really produces the fact sheet (HTML) of the world's plan.
    "reports:page": Access(PERIOD_MANAGERS, refused_to_readers="forbidden"),
    "reports:produce": Access(
        PERIOD_MANAGERS,
        method="post",
        refused_to_readers="forbidden",
        data={"kind": "factsheet", "year": "2024", "format": "html"}
        | {"marking": "limite"},
    ),
    "api-1.0.0:list_hits": Access(HIT_READERS, refused="forbidden"),
    "api-1.0.0:request_release": Access(
        HIT_SIDES, method="post", data={"why": "case 2024-17"}, json=True
    ),
    "api-1.0.0:list_releases": Access(HIT_READERS, refused="forbidden"),
    "api-1.0.0:decide_release": Access(
        frozenset({"participant", "nec"}),
        method="post",
        data={"grant": True},
        json=True,
    ),
    # The analysis project: FR (H2) and EUROPOL (H0) share a phone number, so there
    # is one hit between them; EUROPOL asked FR to release its entity.
    "analysis:datasets": Access(frozenset({"analyst"}), refused="forbidden"),
    "analysis:import_dataset": Access(
        frozenset({"analyst"}), method="post", refused="forbidden"
    ),
    # EUROPOL's dataset (H0), tightened to H3 by the analyst.
    "analysis:tighten_handling": Access(
        frozenset({"analyst"}),
        method="post",
        refused="forbidden",
        data={"code": "H3", "reason": "the provider's request"},
    ),
    "analysis:runs": Access(frozenset({"analyst"}), refused="forbidden"),
    "analysis:start_run": Access(
        frozenset({"analyst"}), method="post", refused="forbidden"
    ),
    "analysis:open_entity": Access(frozenset({"analyst"}), refused="forbidden"),
    "analysis:hits": Access(HIT_READERS, refused="forbidden"),
    "analysis:request_release": Access(
        HIT_SIDES, method="post", data={"why": "case 2024-17"}
    ),
    "analysis:decide_release": Access(
        frozenset({"participant", "nec"}), method="post", data={"grant": "yes"}
    ),
    "crossmatch:report": Access(HIT_READERS, refused="forbidden"),
    "analysis:retention": Access(frozenset({"auditor"}), refused="forbidden"),
    "analysis:keep_dataset": Access(
        frozenset({"auditor"}), method="post", refused="forbidden"
    ),
}
# Every route of the Django admin is for administrators alone.
ADMIN = Access(frozenset({"administrator"}), refused="admin-login")
PUBLIC_WHEN_SIGNED_OUT = {"login", "logout"}


def routes() -> list[tuple[str, object]]:
    """(name, pattern) of every named route, admin included."""
    found = []

    def walk(patterns, namespace=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(
                    p.url_patterns,
                    namespace + (f"{p.namespace}:" if p.namespace else ""),
                )
            elif isinstance(p, URLPattern) and p.name:
                found.append((namespace + p.name, p))

    walk(get_resolver().url_patterns)
    return sorted(set(found), key=lambda r: r[0])


def access_for(name: str) -> Access | None:
    if name in TABLE:
        return TABLE[name]
    if name.startswith("admin:"):
        return ADMIN
    return None


@pytest.fixture
def world(db, settings, tmp_path):
    settings.EMPACT_ANALYSIS_DIR = tmp_path / "analysis"
    plan = make_plan(actions=3)
    action = plan.actions.get(ref="1.1")
    for code in ("IT", "FR", "NL", "COM", "BR"):
        make_organisation(code)
    Participation.objects.create(
        organisation=Organisation.objects.get(code="FR"), action=action
    )
    orgs = {
        "driver": "DE",
        "co_driver": "NL",
        "action_leader": "EUROPOL",
        "co_leader": "IT",
        "participant": "FR",
        "nec": "FR",
        "support": "EUROPOL",
        "analyst": "EUROPOL",
        "auditor": "COM",
        "administrator": "COM",
        "outsider": "BR",
    }
    scopes = {
        "driver": {"plan": plan},
        "co_driver": {"plan": plan},
        "action_leader": {"action": action},
        "co_leader": {"action": action},
        "participant": {"action": action},
        "nec": {"country": "FR"},
    }
    users = {}
    for role, code in orgs.items():
        user = User.objects.create_user(
            role,
            password="x",
            organisation=Organisation.objects.get(code=code),
            is_staff=role == "administrator",
        )
        if role != "outsider":
            RoleAssignment.objects.create(user=user, role=role, **scopes.get(role, {}))
        users[role] = user
    period = services.create_period(
        plan, 2024, 1, deadline=date.today() + timedelta(days=30), actor=users["driver"]
    )
    services.step_period(period, "open", actor=users["driver"])
    contribution = services.start_contribution(
        Organisation.objects.get(code="FR"), action, period, actor=users["participant"]
    )
    amendment = AmendmentRequest.objects.create(
        contribution=contribution,
        proposed={"narrative": "Corrected."},
        reason="a typo",
        requested_by="participant",
    )
    jad = jads.plan_jad(
        plan,
        name="JAD TEST",
        starts=date(2024, 9, 10),
        ends=date(2024, 9, 12),
        actions=[action],
        lead=Organisation.objects.get(code="FR"),
        participants=[Organisation.objects.get(code="DE")],
        actor=users["driver"],
    )
    return {
        "analysis": _analysis_world(users, tmp_path),
        "plan": plan,
        "action": action,
        "users": users,
        "period": period,
        "contribution": contribution,
        "amendment": amendment,
        "jad": jad,
    }


def _analysis_world(users, tmp_path) -> dict[str, int]:
    """pk per analysis route: a hit between FR and EUROPOL, a release request."""
    from empact.analysis import crossmatching
    from empact.analysis import services as analysis

    datasets = {}
    for code, handling in (("FR", "H2"), ("EUROPOL", "H0")):
        path = tmp_path / f"{code}.jsonl"
        entity = {"id": f"{code}-1", "schema": "Person"}
        entity["properties"] = {"name": [code], "phone": ["+33 6 12 34 56 78"]}
        path.write_text(json.dumps(entity) + "\n")
        given = analysis.Contribution(
            contributor=Organisation.objects.get(code=code),
            handling=handling,
            purpose="OA 1.1",
            collected_on=date.today(),
        )
        datasets[code] = analysis.ingest_dataset(path, given, actor=users["analyst"])[0]
    crossmatching.run_crossmatch(actor=users["analyst"], today=date.today())
    hit = _the_hit()
    release = analysis.request_release(hit, actor=users["action_leader"], why="c")
    return {
        "request_release": hit.pk,
        "decide_release": release.pk,
        "keep_dataset": datasets["FR"].pk,
        "tighten_handling": datasets["EUROPOL"].pk,
    }


def _the_hit():
    from empact.analysis.models import Hit

    return Hit.objects.get()


def url_for(name: str, pattern, world) -> str:
    plan, action = world["plan"], world["action"]
    values = {
        "slug": plan.slug,
        "ref": action.ref,
        "code": "DE",
        "period": world["period"].code,
        "pk": _pk_for(name, world)
        if not name.startswith("admin:")
        else _admin_object_id(name, world),
        "object_id": _admin_object_id(name, world),
        "id": _api_id(name, world)
        if name.startswith("api-")
        else _admin_object_id(name, world),
        "app_label": name.split(":")[1].split("_")[0]
        if name.startswith("admin:")
        else "",
    }
    wanted = list(pattern.pattern.converters) or list(pattern.pattern.regex.groupindex)
    if name == "admin:app_list":
        return reverse(name, kwargs={"app_label": "plans"})
    if name == "admin:view_on_site":
        from django.contrib.contenttypes.models import ContentType

        content_type = ContentType.objects.get_for_model(Plan)
        return reverse(
            name, kwargs={"content_type_id": content_type.pk, "object_id": plan.pk}
        )
    return reverse(name, kwargs={k: values[k] for k in wanted})


def _api_id(name: str, world) -> int:
    """The record an API route's {id} names (an amendment is asked for on its
    contribution's route)."""
    if name.endswith(("request_release", "decide_release")):
        return world["analysis"][name.split(":")[1]]
    if name.endswith(("get_amendment", "decide_amendment")):
        return world["amendment"].pk
    if "jad" in name:
        return world["jad"].pk
    return world["contribution"].pk


def _pk_for(name: str, world) -> int | None:
    if name == "reporting:decide_amendment":
        return world["amendment"].pk
    if name.startswith("reporting:"):
        return world["contribution"].pk
    if name.startswith("jads:"):
        return world["jad"].pk
    if name.startswith("analysis:"):
        return world["analysis"].get(name.split(":")[1])
    if "participation" in name:
        return Participation.objects.filter(action=world["action"]).first().pk
    if "role" in name:
        return RoleAssignment.objects.filter(action=world["action"]).first().pk
    return None


def _admin_object_id(name: str, world) -> str:
    """The pk of a real object of the model an admin route is about (its name is
    `admin:<app>_<model>_<view>`; UserAdmin names some routes `auth_user_...`)."""
    from django.contrib import admin

    for model in admin.site._registry:
        meta = model._meta
        for app_label in {meta.app_label, "auth"}:
            if name.startswith(f"admin:{app_label}_{meta.model_name}_"):
                obj = model.objects.order_by("pk").first()
                return str(obj.pk) if obj else "0"
    return "0"


def outcome(response) -> str:
    location = response.get("Location", "")
    if response.status_code == 401:
        return "login"  # the API asks for credentials instead of redirecting
    if response.status_code == 302 and location.startswith("/admin/login/"):
        return "admin-login"
    if response.status_code == 302 and location.startswith("/login/"):
        return "login"
    if response.status_code == 302 and "/second-factor/" in location:
        return "second-factor"
    if response.status_code == 404:
        return "hidden"
    if response.status_code == 403:
        return "forbidden"
    if response.status_code >= 500:
        return "error"
    return "ok"


def expected(access: Access, role: str, name: str) -> set[str]:
    """The outcomes that are right for `role` on a route."""
    if name in ("logout", "admin:logout"):
        return {"ok", "login", "admin-login"}  # anyone may sign themselves out
    if role in access.allowed:
        return {"ok"}
    if role == "anonymous":
        return {"login", "admin-login"}
    if name == "admin:view_on_site" and role == "administrator":
        return {"hidden"}
    if access.refused_to_readers and role in PLAN_READERS:
        return {access.refused_to_readers}
    return {access.refused}


def test_every_route_is_in_the_table_and_every_role_gets_what_it_expects(world, capsys):
    found = routes()
    unlisted = [name for name, _ in found if access_for(name) is None]
    stale = sorted(set(TABLE) - {name for name, _ in found})
    assert unlisted == [], "routes without an entry in the expected-access table"
    assert stale == [], "table entries for routes that no longer exist"

    leaks, over_denials, errors = [], [], []
    sessions = Sessions(world)
    for name, pattern in found:
        access = access_for(name)
        url = url_for(name, pattern, world)
        for role in ROLES:
            got = sessions.request(role, access, url)
            want = expected(access, role, name)
            if access is ADMIN and role in access.allowed and got == "forbidden":
                got = "ok"  # the admin's own refusal to edit a read-only model
            if got == "error":
                errors.append((name, role))
            elif got == "ok" and "ok" not in want:
                leaks.append((name, role))
            elif got not in want:
                over_denials.append((name, role, f"{got} instead of {want}"))
    pairs = len(found) * len(ROLES)
    with capsys.disabled():
        print(
            f"\nauthz matrix: {len(ROLES)} roles × {len(found)} routes = "
            f"{pairs:,} pairs, {len(leaks)} leaks, {len(over_denials)} "
            f"over-denials, {len(errors)} errors"
        )
    assert leaks == []
    assert over_denials == [], "\n".join(map(str, over_denials))
    assert errors == []


class Sessions:
    """One client per role, signed in once; signed in again only after a request
    replaced or ended its session (signing in for each of ~2,000 requests was
    a third of this test's time)."""

    def __init__(self, world):
        self.world = world
        self.clients: dict[str, Client] = {}

    def request(self, role, access, url) -> str:
        client = self._client(role)
        before = client.cookies.get("sessionid")
        # Each request runs in a savepoint that is rolled back, so an allowed
        # change (a removal, say) does not change what the next role sees.
        with transaction.atomic():
            extra = {"content_type": "application/json"} if access.json else {}
            response = getattr(client, access.method)(url, access.data, **extra)
            transaction.set_rollback(True)
        after = client.cookies.get("sessionid")
        if role == "anonymous" or _value(before) != _value(after):
            del self.clients[role]
        return outcome(response)

    def _client(self, role) -> Client:
        if role not in self.clients:
            client = Client()
            if role != "anonymous":
                sign_in(client, self.world["users"][role])
            self.clients[role] = client
        return self.clients[role]


def _value(cookie) -> str:
    return "" if cookie is None else f"{cookie.value}|{cookie['max-age']}"


def test_a_participant_cannot_reach_another_plan_by_guessing_its_address(world, client):
    """IDOR: the same 404 for a plan that exists but is not theirs and one that does
    not exist, on every page of the plan."""
    other = make_plan("oap-other", actions=2)
    Plan.objects.filter(pk=other.pk).update(driver=Organisation.objects.get(code="BR"))
    Participation.objects.filter(action__plan=other).delete()
    sign_in(client, world["users"]["participant"])
    probes = 0
    for name, kwargs in [
        ("plans:overview", {}),
        ("plans:versions", {}),
        ("plans:action", {"ref": "1.1"}),
        ("accounts:people", {}),
    ]:
        hidden = client.get(reverse(name, kwargs={"slug": other.slug, **kwargs}))
        missing = client.get(reverse(name, kwargs={"slug": "no-such-plan", **kwargs}))
        assert hidden.status_code == missing.status_code == 404
        assert "oap-other" not in hidden.content.decode()
        probes += 1
    assert probes == 4

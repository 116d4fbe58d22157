"""The reporting API: plans, periods, contributions and their review, amendment
requests and Joint Action Days, for national systems (one router per topic)."""

from ninja import Router

from empact.reporting.api import amendments, contributions, jads
from empact.reporting.api.errors import Refused, VersionConflict

router = Router()
router.add_router("", contributions.router)
router.add_router("", amendments.router)
router.add_router("", jads.router)

__all__ = ["Refused", "VersionConflict", "router"]

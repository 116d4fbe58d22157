"""When a signed-in session ends on its own (ASVS 7.3.1, 7.3.2). Pure: no clock."""

from dataclasses import dataclass

IDLE = "idle"
MAXIMUM = "maximum"


@dataclass(frozen=True)
class SessionLimits:
    idle_seconds: int
    maximum_seconds: int


def session_expiry(
    *, signed_in_at: float, last_seen_at: float, now: float, limits: SessionLimits
) -> str | None:
    """IDLE or MAXIMUM when the session has run out, else None. Times in seconds."""
    if now - signed_in_at >= limits.maximum_seconds:
        return MAXIMUM
    if now - last_seen_at >= limits.idle_seconds:
        return IDLE
    return None

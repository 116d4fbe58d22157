"""When a session runs out: the pure rule behind SessionLifetimeMiddleware."""

from empact.accounts.auth.expiry import IDLE, MAXIMUM, SessionLimits, session_expiry

LIMITS = SessionLimits(idle_seconds=1800, maximum_seconds=36000)


def expiry(signed_in: float, seen: float, now: float) -> str | None:
    return session_expiry(
        signed_in_at=signed_in, last_seen_at=seen, now=now, limits=LIMITS
    )


def test_session_limits_at_their_edges():
    assert expiry(0, 0, 1799) is None
    assert expiry(0, 0, 1800) == IDLE
    assert expiry(0, 35000, 35999) is None
    assert expiry(0, 35999, 36000) == MAXIMUM

"""Account rules shared by the allauth adapters and the MFA middleware."""

from __future__ import annotations

from allauth.mfa.models import Authenticator

from citylab.models import Membership, Role


def mfa_required(user) -> bool:
    """Planners and admins must sign in with a second factor; others may choose to."""
    if user.is_staff or user.is_superuser:
        return True
    return Membership.objects.filter(user=user, role=Role.PLANNER).exists()


def has_totp(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()

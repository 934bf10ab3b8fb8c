from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.http import HttpRequest

from citylab.accounts import mfa_required
from citylab.ratelimit import client_address


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Staff accounts are made by an administrator, who also gives the role; residents
        # never need one. An open sign-up would only create accounts that can see nothing.
        return False

    def get_client_ip(self, request: HttpRequest) -> str:
        # allauth's limits per address must see the person behind nginx, as ours do: with
        # REMOTE_ADDR alone, everyone would share nginx's address and one flood of wrong
        # passwords would lock every sign-in.
        return client_address(request)


class MFAAdapter(DefaultMFAAdapter):
    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        # A planner or admin may not switch off the second factor that their role requires.
        if authenticator.type == Authenticator.Type.TOTP and mfa_required(authenticator.user):
            return False
        return super().can_delete_authenticator(authenticator)

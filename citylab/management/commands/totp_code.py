from __future__ import annotations

import time

from allauth.mfa import app_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from citylab.models import User


class Command(BaseCommand):
    help = (
        "Print the current sign-in code of a user's authenticator app. Development only (DEBUG): "
        "it lets a developer sign in to the demo as planner or admin."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")

    def handle(self, *args, email: str, **options) -> None:
        # Anyone with shell access could otherwise sign in as anyone: two-factor would mean nothing.
        if not settings.DEBUG:
            raise CommandError("totp_code only runs with DEBUG on (CITYLAB_DEBUG=true); it is for development.")
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No user with email {email}.")
        authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
        if authenticator is None:
            raise CommandError(f"{user.email} has no authenticator app set up (only planners and admins need one).")
        secret = decrypt(authenticator.data["secret"])
        counter = int(time.time()) // app_settings.TOTP_PERIOD
        self.stdout.write(format_hotp_value(hotp_value(secret, counter)))

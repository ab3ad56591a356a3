"""The shapes of authentication: the token pair answered and the bodies accepted."""

from __future__ import annotations

from typing import Annotated

import msgspec

from app import account_tokens, tokens
from app.account_tokens import RESET_TTL_S
from app.core.passwords import MAX_BYTES
from app.users.models import DisplayName, User

NewPassword = Annotated[
    str,
    msgspec.Meta(description="At least 10 characters, at most 1024 bytes; not your email address"),
]

# a token of a reset or verification email, as the client copies it from the email
MailedToken = Annotated[str, msgspec.Meta(min_length=1, max_length=account_tokens.MAX_TOKEN_LENGTH)]


class TokenResponse(msgspec.Struct, kw_only=True):
    user: User
    access_token: str
    refresh_token: str
    token_type: str = "Bearer"  # noqa: S105 (the RFC 6750 token type)
    expires_in: int


class RegisterBody(msgspec.Struct, forbid_unknown_fields=True):
    email: Annotated[
        str, msgspec.Meta(max_length=320, description="Your email; stored lower-cased")
    ]
    password: NewPassword
    display_name: DisplayName


class LoginBody(msgspec.Struct, forbid_unknown_fields=True):
    email: Annotated[str, msgspec.Meta(max_length=320)]
    password: Annotated[str, msgspec.Meta(max_length=MAX_BYTES)]


class RefreshBody(msgspec.Struct, forbid_unknown_fields=True):
    refresh_token: Annotated[str, msgspec.Meta(min_length=1, max_length=tokens.MAX_TOKEN_LENGTH)]


class PasswordResetBody(msgspec.Struct, forbid_unknown_fields=True):
    email: Annotated[str, msgspec.Meta(max_length=320, description="Your account's email")]


class PasswordResetConfirmBody(msgspec.Struct, forbid_unknown_fields=True):
    token: Annotated[
        MailedToken, msgspec.Meta(description="The reset code of the email (`kpr_...`)")
    ]
    new_password: NewPassword


class VerifyEmailBody(msgspec.Struct, forbid_unknown_fields=True):
    token: Annotated[
        MailedToken, msgspec.Meta(description="The verification code of the email (`kev_...`)")
    ]


class Accepted(msgspec.Struct):
    message: str


RESET_ACCEPTED = Accepted(
    "If an account has this email, a message with a reset code is on its way; the code "
    f"works once, for {RESET_TTL_S // 60} minutes"
)

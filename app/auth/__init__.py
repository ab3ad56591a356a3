"""Accounts and authentication: register, log in, refresh, log out; password reset and
email verification by mailed tokens (app/account_tokens.py).

Register, login, refresh, the password reset and the email verification are public (they
are how a client gets a token, or gets back in); everything else needs an access token. A
successful register, login or refresh answers with the user, a short-lived access token and
a new refresh token.

The Structs are in `models.py`, the operations in `operations.py` (they run the SQL of
app/users, app/tokens, app/throttle and app/account_tokens); this module holds the
handlers and the router.
"""

from __future__ import annotations

from typing import Any

from litestar import Router, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.handlers import HTTPRouteHandler
from litestar.params import JSONBody

from app.audit import client_context
from app.auth.models import (
    Accepted,
    LoginBody,
    PasswordResetBody,
    PasswordResetConfirmBody,
    RefreshBody,
    RegisterBody,
    TokenResponse,
    VerifyEmailBody,
)
from app.auth.operations import (
    log_in,
    log_out,
    register_user,
    request_password_reset,
    reset_password,
    rotate_refresh,
    verify_email,
)
from app.core.calls import calling
from app.core.dependencies import NEEDS_PASSWORDS, NEEDS_SETTINGS, PASSWORDS, SETTINGS
from app.core.http import responses
from app.core.passwords import Passwords
from app.core.resource import Operation
from app.ratelimit import RateLimiter, rate_limited
from app.users.models import ACCOUNT_BODY_LIMIT

PUBLIC = {"public": True}


def provide_rate_limiter(state: State) -> RateLimiter:
    limiter: RateLimiter = state.rate_limiter
    return limiter


_NEEDS_LIMITER: dict[str, Any] = {"limiter": NamedDependency[RateLimiter]}
_NEEDS_PASSWORDS: dict[str, Any] = {"passwords": NamedDependency[Passwords]}


def _account_post(
    path: str,
    operation: Operation,
    returns: Any,
    body: Any,
    *,
    caller: str | None = None,
    needs: dict[str, Any] | None = None,
    **doc: Any,
) -> HTTPRouteHandler:
    """A POST of an account flow: its body (at most ACCOUNT_BODY_LIMIT bytes) and the
    client's audit context go to `operation`, with the caller's id when `caller` names it
    (logout; the others are public routes, `opt=PUBLIC`)."""
    return calling(
        post,
        path,
        operation,
        returns,
        caller=caller,
        needs=needs,
        body=JSONBody[body],
        context=client_context,
        request_max_body_size=ACCOUNT_BODY_LIMIT,
        **doc,
    )


register = _account_post(
    "/register",
    register_user,
    TokenResponse,
    RegisterBody,
    needs=NEEDS_PASSWORDS,
    operation_id="register",
    summary="Create an account",
    description="Creates an account and logs it in on this device. 409 `email_taken` when "
    "the email has an account; 422 `invalid_email`, `invalid_display_name` or "
    "`weak_password` (with `details`) when a value breaks a rule.",
    status_code=201,
    opt={**PUBLIC, **rate_limited("register")},
    responses=responses(
        409,
        413,
        422,
        429,
        codes={
            409: "email_taken",
            422: "invalid_email, invalid_display_name, weak_password",
            429: "rate_limited",
        },
        public=True,
    ),
)
login = _account_post(
    "/login",
    log_in,
    TokenResponse,
    LoginBody,
    needs=NEEDS_PASSWORDS,
    operation_id="login",
    summary="Log in with email and password",
    description="A wrong password and an unknown email give the same 401 "
    "`invalid_credentials`. After too many failures for one account within the window, "
    "429 `too_many_attempts` with `Retry-After` until the lock is over.",
    status_code=200,
    opt={**PUBLIC, **rate_limited("login")},
    responses=responses(
        413,
        codes={401: "invalid_credentials", 429: "too_many_attempts, rate_limited"},
        public=True,
    ),
)
refresh = _account_post(
    "/refresh",
    rotate_refresh,
    TokenResponse,
    RefreshBody,
    needs=NEEDS_SETTINGS,
    operation_id="refreshTokens",
    summary="Trade a refresh token for a new pair",
    description="Retires the refresh token and returns a new access token and refresh "
    "token (rotation). Presenting a retired refresh token again ends that login on every "
    "device that holds it (the token was copied) and is recorded as "
    "`token_reuse_detected`. 401 `invalid_refresh_token` for any unusable token.",
    status_code=200,
    opt={**PUBLIC, **rate_limited("refresh")},
    responses=responses(
        413, codes={401: "invalid_refresh_token", 429: "rate_limited"}, public=True
    ),
)
logout = _account_post(
    "/logout",
    log_out,
    None,
    RefreshBody,
    caller="user_id",
    operation_id="logout",
    summary="End the login of a refresh token",
    description="Revokes the refresh token's login (its whole rotation family). Like "
    "RFC 7009, answers 204 also when the token is unknown, already ended or not yours "
    "(nothing is changed then): the client can forget the token either way.",
    status_code=204,
    responses=responses(413),
)
password_reset = _account_post(
    "/password-reset",
    request_password_reset,
    Accepted,
    PasswordResetBody,
    needs=_NEEDS_LIMITER,
    operation_id="requestPasswordReset",
    summary="Ask for a password-reset email",
    description="Mails a reset code to the account of this email, valid once for 30 "
    "minutes (asking again replaces it). Always 202 with the same body, whether or not the "
    "email has an account. Limited per client address and per email address (429 "
    "`rate_limited`); 422 `invalid_email` when it is not an email address.",
    status_code=202,
    opt={**PUBLIC, **rate_limited("password_reset")},
    responses=responses(413, 422, codes={422: "invalid_email", 429: "rate_limited"}, public=True),
)
password_reset_confirm = _account_post(
    "/password-reset/confirm",
    reset_password,
    None,
    PasswordResetConfirmBody,
    needs=_NEEDS_PASSWORDS,
    operation_id="confirmPasswordReset",
    summary="Set a new password with the code of a reset email",
    description="Sets the password (the registration policy: 422 `weak_password`), ends "
    "every login of the account (log in again with the new password) and sends a "
    "'password changed' email. 400 `invalid_reset_token` for a code that is unknown, "
    "malformed, expired, used, replaced by a newer one, or mailed before the account's email "
    "changed; nothing changes then. Limited per client address like logins.",
    status_code=204,
    opt={**PUBLIC, **rate_limited("login")},
    responses=responses(
        413,
        422,
        codes={400: "invalid_reset_token", 422: "weak_password", 429: "rate_limited"},
        public=True,
    ),
)
verify_email_route = _account_post(
    "/verify-email",
    verify_email,
    None,
    VerifyEmailBody,
    operation_id="verifyEmail",
    summary="Confirm an email address with the code of a verification email",
    description="The account's address becomes verified (`email_verified` on `/v1/me`); "
    "for an email change, the new address becomes the account's email and the old one is "
    "told. 400 `invalid_verification_token` for a code that is unknown, malformed, expired, "
    "used or replaced by a newer one; 409 `email_taken` when another account took the new "
    "address meanwhile. Nothing changes on an error. No access token needed (the code is "
    "the proof). Limited per client address like logins.",
    status_code=204,
    opt={**PUBLIC, **rate_limited("login")},
    responses=responses(
        409,
        413,
        codes={400: "invalid_verification_token", 409: "email_taken", 429: "rate_limited"},
        public=True,
    ),
)


router = Router(
    "/v1/auth",
    route_handlers=[
        register,
        login,
        refresh,
        logout,
        password_reset,
        password_reset_confirm,
        verify_email_route,
    ],
    dependencies={
        **PASSWORDS,
        **SETTINGS,
        "limiter": Provide(provide_rate_limiter, sync_to_thread=False),
    },
    tags=["auth"],
)

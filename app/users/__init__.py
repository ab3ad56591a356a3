"""The caller's own account: profile, password, email address, deletion.

`/v1/me` carries an ETag (its `version`): `If-None-Match` on GET gives 304, `If-Match` on
PATCH and DELETE gives 412 when stale. `email_verified` says whether the account's address
was proven by a mailed token (app/account_tokens.py); an email change waits, as
`pending_email`, until the new address is proven. Registration and login (`app.auth`) use
the account rules and rows defined here. The account's logins (`/v1/me/logins`) are served by
`app.tokens`, its audit history (`/v1/me/audit`) by `app.audit`.

An account's document and bodies are in `models.py`; what can be done to it, the plain
functions running `queries/users/`, in `operations.py`; its routes are here.
"""

from __future__ import annotations

from litestar import Response, Router, delete, get, patch, post
from litestar.params import JSONBody

from app.audit import client_context
from app.core.calls import calling
from app.core.dependencies import NEEDS_PASSWORDS, PASSWORDS, SETTINGS
from app.core.http import ETAG_HEADER, responses
from app.ratelimit import rate_limited
from app.users.models import ACCOUNT_BODY_LIMIT, ProfileUpdate, User, VerificationSent
from app.users.operations import delete_account, get_account, resend_verification, update_profile

get_me = calling(
    get,
    "/",
    get_account,
    Response[User],
    if_none_match=True,
    operation_id="getMe",
    summary="Your account",
    response_headers=ETAG_HEADER,
    responses=responses(304, takes_input=False),
)
update_me = calling(
    patch,
    "/",
    update_profile,
    Response[User],
    caller="user",
    needs=NEEDS_PASSWORDS,
    body=JSONBody[ProfileUpdate],
    context=client_context,
    if_match=True,
    etagged=True,
    operation_id="updateMe",
    summary="Change your display name, preferred weight unit, password or email",
    description="A password or email change needs `current_password` (403 `wrong_password` "
    "when it is not correct; these checks count against the login throttle, 429 "
    "`too_many_attempts`). A password change ends every other login of the account (the "
    "login of the access token used stays) and cancels a pending email change. An email "
    "change mails a verification code to the new address and a notice to the current one; "
    "the account keeps its current email (the new one shows as `pending_email`) until the "
    "code is used at `POST /v1/auth/verify-email`. 409 `email_taken` when another account "
    "has the new address. 422 `weak_password`, `invalid_display_name`, `invalid_email`, "
    "`current_password_required`.",
    request_max_body_size=ACCOUNT_BODY_LIMIT,
    response_headers=ETAG_HEADER,
    responses=responses(
        412,
        413,
        codes={
            403: "wrong_password",
            409: "concurrent_update, email_taken",
            422: "weak_password, invalid_display_name, invalid_email, "
            "current_password_required, new_password_required",
            429: "too_many_attempts",
        },
    ),
)
delete_me = calling(
    delete,
    "/",
    delete_account,
    None,
    context=client_context,
    if_match=True,
    operation_id="deleteMe",
    summary="Delete your account and all its data",
    description="Deletes the account, its workouts, sessions, sets, custom exercises and "
    "logins. The audit log keeps its rows, without the user id.",
    status_code=204,
    responses=responses(409, 412, codes={409: "concurrent_update"}, takes_input=False),
)
resend_verification_email = calling(
    post,
    "/verify-email",
    resend_verification,
    VerificationSent,
    context=client_context,
    operation_id="resendVerificationEmail",
    summary="Send the verification email again",
    description="Mails a new verification code (the earlier one stops working) to the "
    "pending address of an email change, else to the account's address. 409 "
    "`email_already_verified` when there is nothing to verify. Limited per user (429 "
    "`rate_limited`).",
    status_code=202,
    opt=rate_limited("verify_email"),
    responses=responses(
        409,
        codes={409: "email_already_verified", 429: "rate_limited"},
        takes_input=False,
    ),
)

router = Router(
    "/v1/me",
    route_handlers=[get_me, update_me, delete_me, resend_verification_email],
    dependencies={**PASSWORDS, **SETTINGS},
    tags=["me"],
)

"""The shapes of an account: the document answered and the bodies accepted."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar
from uuid import UUID

import msgspec

from app.core.enums import WeightUnit
from app.core.http import NO_CONTROL_CHARACTERS
from app.core.passwords import MAX_BYTES

# Account bodies are a few short strings (a password is at most 1 KiB); anything bigger is
# refused with 413 before it is read in full.
ACCOUNT_BODY_LIMIT = 16 * 1024
DISPLAY_NAME_MAX = 100
PROFILE_FIELDS = ("display_name", "preferred_weight_unit")
DisplayName = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=DISPLAY_NAME_MAX,
        extra_json_schema={"pattern": NO_CONTROL_CHARACTERS},
    ),
]


class User(msgspec.Struct):
    id: UUID
    email: str
    display_name: str
    preferred_weight_unit: WeightUnit
    version: int
    created_at: datetime
    updated_at: datetime
    # with defaults, so documents written before they existed (exports) still read
    email_verified: bool = False
    pending_email: str | None = None


class Credentials(msgspec.Struct):
    id: UUID
    email: str
    password_hash: str
    version: int


class ProfileUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """The fields to change; those left out keep their value. A password change needs
    `current_password` and ends every other login of the account; so does an email change,
    which waits until the new address is verified."""

    # in the document: a new password or email without the current password is 422
    # (`current_password_required`), the current password alone too (`new_password_required`)
    json_schema_rules: ClassVar[dict[str, Any]] = {
        "dependentRequired": {
            "new_password": ["current_password"],
            "email": ["current_password"],
        },
        "dependentSchemas": {
            "current_password": {"anyOf": [{"required": ["new_password"]}, {"required": ["email"]}]}
        },
    }

    display_name: DisplayName | msgspec.UnsetType = msgspec.UNSET
    preferred_weight_unit: WeightUnit | msgspec.UnsetType = msgspec.UNSET
    new_password: (
        Annotated[
            str,
            msgspec.Meta(description="At least 10 characters, at most 1024 bytes; not your email"),
        ]
        | msgspec.UnsetType
    ) = msgspec.UNSET
    current_password: Annotated[str, msgspec.Meta(max_length=MAX_BYTES)] | msgspec.UnsetType = (
        msgspec.UNSET
    )
    email: (
        Annotated[
            str,
            msgspec.Meta(
                max_length=320,
                description="A new email address: mailed a verification code; it becomes the "
                "account's email once verified (until then it is `pending_email`)",
            ),
        ]
        | msgspec.UnsetType
    ) = msgspec.UNSET


class VerificationSent(msgspec.Struct):
    email: str
    message: str

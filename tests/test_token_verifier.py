"""The access-token verifier remembers verified tokens only until they expire, and never
takes an altered token for a remembered one."""

from __future__ import annotations

import time
import uuid

import jwt
import pytest

from app.core.errors import Unauthorized
from app.core.security import ALGORITHM, AUDIENCE, ISSUER, AccessTokenVerifier, issue_access_token
from tests.conftest import TEST_JWT_SECRET, make_settings

SETTINGS = make_settings("postgresql://unused")


def token_expiring_in(seconds: int) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": str(uuid.uuid4()),
        "iat": now,
        "exp": now + seconds,
        "jti": uuid.uuid4().hex,
        "typ": "access",
    }
    return jwt.encode(claims, TEST_JWT_SECRET, algorithm=ALGORITHM)


def test_a_remembered_token_is_refused_once_expired() -> None:
    verifier = AccessTokenVerifier(SETTINGS)
    token = token_expiring_in(1)
    verifier.verify(token)
    time.sleep(1.1)
    with pytest.raises(Unauthorized) as refused:
        verifier.verify(token)
    assert refused.value.error_code == "token_expired"


def test_an_altered_token_is_not_the_remembered_one() -> None:
    verifier = AccessTokenVerifier(SETTINGS)
    user_id = uuid.uuid4()
    token = issue_access_token(SETTINGS, user_id)
    assert verifier.verify(token).id == user_id
    header, payload, signature = token.split(".")
    tampered = f"{header}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    with pytest.raises(Unauthorized):
        verifier.verify(tampered)

"""Calling the API the way a client does: as a user who carries their token, through every
page of a list, registering and logging in; and what every error answer looks like."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

import httpx
from litestar import Litestar
from litestar.testing import TestClient

Client = TestClient[Litestar]
Headers = Mapping[str, str | bytes] | Mapping[bytes, bytes]

PASSWORD = "correct horse battery staple"


class TokenClient:
    """A test client that sends `token` as the bearer token of every request:
    `ann.get(url)`, `ann.patch(url, json=body, headers={"If-Match": '"1"'})`. Headers given
    to a call are sent as well."""

    def __init__(self, client: Client, token: str) -> None:
        self.client = client
        self.token = token

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def request(
        self, method: str, url: str, *, headers: Headers | None = None, **kwargs: Any
    ) -> httpx.Response:
        sent: dict[Any, Any] = {**self.headers, **(headers or {})}
        return self.client.request(method, url, headers=sent, **kwargs)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)

    def on(self, client: Client) -> TokenClient:
        """The same token, sent through another client (another app)."""
        return TokenClient(client, self.token)


class UserWithToken(TokenClient):
    """A user the `make_user` fixture inserted, calling the test's `client` with an access
    token of their own."""

    def __init__(self, client: Client, user_id: uuid.UUID, email: str, token: str) -> None:
        super().__init__(client, token)
        self.id = user_id
        self.email = email


def signed_in(client: Client, tokens: Mapping[str, Any]) -> TokenClient:
    """The account of a token response (of register, login or refresh), calling `client`."""
    return TokenClient(client, tokens["access_token"])


def pages(caller: TokenClient, url: str) -> Iterator[dict[str, Any]]:
    """Each page of the list at `url` (its query, limit included, in the url), following
    `next_cursor` to the last page. The next page is read when the caller asks for it, so
    a test can change the data between two pages."""
    cursor = None
    for _ in range(1000):
        sep = "&" if "?" in url else "?"
        response = caller.get(url + (f"{sep}cursor={quote(cursor, safe='')}" if cursor else ""))
        assert response.status_code == 200, response.text
        page = response.json()
        yield page
        cursor = page["next_cursor"]
        if cursor is None:
            return
    raise AssertionError(f"{url}: still a next page after 1000 pages")


def all_pages(caller: TokenClient, url: str) -> list[dict[str, Any]]:
    """The items of every page of the list at `url`, in order."""
    return [item for page in pages(caller, url) for item in page["items"]]


def assert_error(response: httpx.Response, status: int, error_code: str) -> dict[str, Any]:
    """`response` is the error answer every route gives: JSON with its status, a code and a
    message, the request id of the response header, and no traceback. Its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    required = {"status_code", "error_code", "message", "request_id"}
    assert required <= set(body) <= {*required, "details"}, body
    assert body["status_code"] == status
    assert body["error_code"] == error_code
    assert body["message"]
    assert body["request_id"] == response.headers["x-request-id"]
    assert "Traceback" not in response.text
    return body


def register(
    client: Client,
    email: str | None = None,
    password: str = PASSWORD,
    display_name: str = "Ann Lifter",
    user_agent: str | None = None,
) -> dict[str, Any]:
    """Register through the API; the token response."""
    email = email or f"user-{uuid.uuid4().hex[:10]}@example.com"
    headers = {"User-Agent": user_agent} if user_agent else {}
    response = client.post(
        "/v1/auth/register",
        json={"email": email, "password": password, "display_name": display_name},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


def login(
    client: Client, email: str, password: str = PASSWORD, user_agent: str | None = None
) -> httpx.Response:
    headers = {"User-Agent": user_agent} if user_agent else {}
    return client.post(
        "/v1/auth/login", json={"email": email, "password": password}, headers=headers
    )

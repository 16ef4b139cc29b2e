"""One keep-alive HTTP connection per worker thread, speaking the Swift API.

A :class:`Connection` holds one keep-alive HTTP connection: a
``requests.Session`` configures it (TLS, CA bundle, client certificate,
proxies) and, unless the environment names a proxy, requests are sent
straight through the urllib3 pool that session would use, at half its client
CPU (see :mod:`swiftsvc.http._send`). This module has the verbs (HEAD, GET,
PUT, POST, DELETE, COPY of accounts, containers and objects, ``/info``);
:mod:`swiftsvc.http.requester` has how each request is sent (credentials,
retries, re-authentication, cancel). They return values
(:class:`~swiftsvc.http.response.Response`, or a streamed response for
downloads) carrying every attempt, instead of filling dicts passed in.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any, BinaryIO
from urllib.parse import quote

from swiftsvc.errors import ClientException
from swiftsvc.http.requester import Requester
from swiftsvc.http.response import Response, StreamedResponse
from swiftsvc.http.urls import Query, info_url

RequestBody = bytes | BinaryIO | Iterable[bytes]


class Connection(Requester):
    """One worker thread's connection (not to be shared between threads): the
    Swift API's verbs over :class:`~swiftsvc.http.requester.Requester`'s flow."""

    def _finished(self, method: str, container: str | None = None, obj: str | None = None,
                  **kwargs: Any) -> Response:
        answer = self.request(method, container, obj, **kwargs)
        assert isinstance(answer, Response)
        return answer

    def head_account(self, headers: Mapping[str, str] | None = None) -> Response:
        return self._finished("HEAD", headers=headers)

    def get_account(
        self,
        *,
        marker: str = "",
        limit: int | None = None,
        prefix: str | None = None,
        delimiter: str | None = None,
        end_marker: str = "",
        headers: Mapping[str, str] | None = None,
    ) -> tuple[Response, list[dict[str, Any]]]:
        """One page of the account's container listing (JSON)."""
        query = _listing_query(marker, limit, prefix, delimiter, end_marker)
        answer = self._finished("GET", query=query, headers=headers)
        return answer, _listing(answer)

    def post_account(self, headers: Mapping[str, str]) -> Response:
        return self._finished("POST", headers=headers)

    def head_container(self, container: str, headers: Mapping[str, str] | None = None
                       ) -> Response:
        return self._finished("HEAD", container, headers=headers)

    def get_container(
        self,
        container: str,
        *,
        marker: str = "",
        limit: int | None = None,
        prefix: str | None = None,
        delimiter: str | None = None,
        end_marker: str = "",
        versions: bool = False,
        version_marker: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[Response, list[dict[str, Any]]]:
        """One page of the container's object listing (JSON)."""
        query = _listing_query(marker, limit, prefix, delimiter, end_marker)
        if versions:
            query.append(("versions", ""))
            if version_marker:
                query.append(("version_marker", version_marker))
        answer = self._finished("GET", container, query=query, headers=headers)
        return answer, _listing(answer)

    def put_container(self, container: str, headers: Mapping[str, str] | None = None
                      ) -> Response:
        return self._finished("PUT", container, headers=headers)

    def post_container(self, container: str, headers: Mapping[str, str]) -> Response:
        return self._finished("POST", container, headers=headers)

    def delete_container(self, container: str, headers: Mapping[str, str] | None = None
                         ) -> Response:
        return self._finished("DELETE", container, headers=headers)

    def head_object(self, container: str, obj: str, headers: Mapping[str, str] | None = None,
                    query: Query | None = None) -> Response:
        return self._finished("HEAD", container, obj, headers=headers, query=query)

    def get_object(self, container: str, obj: str, *,
                   headers: Mapping[str, str] | None = None,
                   query: Query | None = None) -> StreamedResponse:
        """The object's headers, and its body to stream; close the answer when done."""
        return self.request("GET", container, obj, headers=headers, query=query, stream=True)

    def put_object(
        self,
        container: str,
        obj: str,
        body: RequestBody | None,
        *,
        headers: Mapping[str, str] | None = None,
        query: Query | None = None,
        content_length: int | None = None,
        on_progress: Callable[[int], None] | None = None,
    ) -> Response:
        """Upload ``body``; a file is read from where it stands, ``content_length`` bytes."""
        return self._finished("PUT", container, obj, body=body, headers=headers, query=query,
                              content_length=content_length, on_progress=on_progress)

    def post_object(self, container: str, obj: str, headers: Mapping[str, str]) -> Response:
        return self._finished("POST", container, obj, headers=headers)

    def delete_object(self, container: str, obj: str, *,
                      headers: Mapping[str, str] | None = None,
                      query: Query | None = None) -> Response:
        return self._finished("DELETE", container, obj, headers=headers, query=query)

    def copy_object(
        self,
        container: str,
        obj: str,
        destination: str,
        *,
        headers: Mapping[str, str] | None = None,
        fresh_metadata: bool = False,
    ) -> Response:
        """Server-side COPY to ``destination`` (``/container/object``; empty: onto itself)."""
        send = dict(headers or {})
        target = destination or f"/{container}/{obj}"
        send["Destination"] = quote(target if target.startswith("/") else "/" + target)
        send["X-Fresh-Metadata"] = "true" if fresh_metadata else "false"
        return self._finished("COPY", container, obj, headers=send)

    def info(self, url: str | None = None) -> Response:
        """The cluster's ``/info`` (capabilities); no token is sent."""
        return self._finished("GET", url=info_url(url or self.storage_url))



def _listing_query(marker: str, limit: int | None, prefix: str | None,
                   delimiter: str | None, end_marker: str) -> list[tuple[str, str]]:
    query = [("format", "json")]
    if marker:
        query.append(("marker", marker))
    if limit is not None:
        query.append(("limit", str(limit)))
    if prefix:
        query.append(("prefix", prefix))
    if delimiter:
        query.append(("delimiter", delimiter))
    if end_marker:
        query.append(("end_marker", end_marker))
    return query


def _listing(answer: Response) -> list[dict[str, Any]]:
    if answer.status == 204 or not answer.body:
        return []
    items = json.loads(answer.body)
    if not isinstance(items, list):
        raise ClientException("listing is not a JSON list", http_status=answer.status,
                              attempts=answer.attempts)
    return items

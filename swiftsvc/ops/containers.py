"""Creating a container, shared by the upload and copy operations.

python-swiftclient creates the destination container before the first
object (and the segment container, in the main container's storage policy);
both operations queue this job on the container pool first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from swiftsvc import results
from swiftsvc.errors import ClientException
from swiftsvc.results import CreateContainerResult

if TYPE_CHECKING:
    from swiftsvc.http.connection import Connection


def create_container_job(
    conn: Connection, container: str, headers: Mapping[str, str], policy_source: str | None
) -> CreateContainerResult:
    """Job (container pool): PUT a container; with ``policy_source``, in that container's policy.

    The result's ``headers`` are those given; None when the policy is
    ``policy_source``'s, as in python-swiftclient.
    """
    sent = dict(headers)
    reported = None if policy_source is not None else sent
    try:
        if policy_source is not None:
            policy = conn.head_container(policy_source).headers.get("x-storage-policy")
            if policy:
                sent["X-Storage-Policy"] = policy
        response = conn.put_container(container, sent or None)
    except ClientException as error:
        return results.create_container(container=container, headers=reported, error=error)
    return results.create_container(container=container, headers=reported, response=response)

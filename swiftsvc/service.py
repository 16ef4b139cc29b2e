"""The ``Service`` facade (python-swiftclient's ``SwiftService``).

One Service owns one authenticator, shared by every connection, and four
bounded pools (docs/COMPAT.md §2). Each public method is short: it checks its
arguments and builds a :class:`~swiftsvc.ops._context.CallContext` *now*,
so that bad arguments raise at the call rather than at the first ``next()``,
then hands the work to an ``ops`` module and returns a dict or an iterator of
result dicts in completion order.

Cancellation: closing a result iterator early, :meth:`Service.cancel`, or a
KeyboardInterrupt in the consuming thread cancels the call's scope, so its
queued jobs never start and running ones stop at their next check.
"""

from __future__ import annotations

import logging
import os
import weakref
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, cast, overload

from swiftsvc._lifecycle import ConsumerConnections, shutdown
from swiftsvc._pools import CancelScope, WorkerPool
from swiftsvc._streams import Job, ResultStream
from swiftsvc.auth import build_authenticator
from swiftsvc.errors import OptionError, SwiftError
from swiftsvc.events import SILENT, Subscriber
from swiftsvc.http import RetryPolicy, Transport, connection_factory, endpoint_path
from swiftsvc.http.requester import CallPolicy
from swiftsvc.objects import PostObject, iter_named, iter_names, name_problem
from swiftsvc.ops import copy as copy_op, listing, post as post_op, stat as stat_op
from swiftsvc.ops._context import CallContext, Pools
from swiftsvc.ops.capabilities import CapabilitiesCache
from swiftsvc.ops.delete import planner as delete_op
from swiftsvc.ops.download import planner as download_op
from swiftsvc.ops.upload import planner as upload_op
from swiftsvc.options import Options
from swiftsvc.results import (
    CapabilitiesResult,
    CopyResult,
    DeleteResult,
    DownloadObjectResult,
    ListAccountPartResult,
    ListContainerPartResult,
    PostAccountResult,
    PostContainerResult,
    PostObjectResult,
    Result,
    StatAccountResult,
    StatContainerResult,
    StatObjectResult,
    UploadResult,
)

if TYPE_CHECKING:
    from swiftsvc.http.connection import Connection
    from swiftsvc.http.urls import EndpointKind
    from swiftsvc.ops.batch import Batch

log = logging.getLogger(__name__)

T = TypeVar("T")
ContainerArg = TypeVar("ContainerArg")  # what an operation takes as its container
ObjectsArg = TypeVar("ObjectsArg")  # and as its objects
CallOptions = Mapping[str, Any] | None

# how long close() waits for each pool's threads; a job checks its cancel
# scope at least this often, so this is only reached by a stuck request
_JOIN_TIMEOUT = 5.0
# a Service nobody closed (garbage collected, interpreter exit): do not wait
_FINALIZE_JOIN_TIMEOUT = 0.0


class Service:
    """A threaded Swift client service; drop-in for ``swiftclient.service.SwiftService``.

    ``options`` override the defaults (docs/COMPAT.md §2); auth options not given fall
    back to their environment variables, read now. ``progress`` receives
    progress events (:mod:`swiftsvc.events`) of every call.
    """

    def __init__(
        self, options: Mapping[str, Any] | None = None, *, progress: Subscriber | None = None
    ) -> None:
        if options is not None and not isinstance(options, Mapping):
            raise OptionError(f"options must be a mapping, not {type(options).__name__}")
        self._options = Options.from_service(options, os.environ)
        # one authenticator for every connection: one token, one re-auth on 401
        self._authenticator = build_authenticator(self._options)
        factory = connection_factory(self._options, self._authenticator)
        opts = self._options
        self._pools = Pools(
            container=WorkerPool("container", opts.container_threads, factory),
            object_uu=WorkerPool("object_uu", opts.object_uu_threads, factory),
            object_dd=WorkerPool("object_dd", opts.object_dd_threads, factory),
            segment=WorkerPool("segment", opts.segment_threads, factory),
        )
        self._connections = ConsumerConnections(factory)
        # a list so that cancel() can swap in a fresh root while the finalizer
        # still sees every root it must cancel
        self._roots: list[CancelScope] = [CancelScope()]
        self._events = SILENT.with_subscriber(progress)
        self._capabilities = CapabilitiesCache(self._connections.get)
        self._closed = False
        self._finalizer = weakref.finalize(
            self, shutdown, self._pools, self._connections, self._authenticator, self._roots,
            _FINALIZE_JOIN_TIMEOUT,
        )

    # ------------------------------------------------------------ lifecycle

    def __enter__(self) -> Service:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Cancel running calls, shut the pools down and join their threads."""
        if self._closed:
            return
        self._closed = True
        self._finalizer.detach()
        shutdown(
            self._pools, self._connections, self._authenticator, self._roots, _JOIN_TIMEOUT
        )

    def cancel(self) -> None:
        """Cancel every call in progress; later calls run normally."""
        self._roots.append(CancelScope())
        for scope in self._roots[:-1]:
            scope.cancel()
        del self._roots[:-1]
        self._connections.abort()

    def get_endpoint(
        self,
        kind: str,
        container: str | None = None,
        obj: str | None = None,
        full: bool = False,
    ) -> str:
        """The URL (``full``) or path of the account, a container or an object
        (``kind``: ``"account"``, ``"container"`` or ``"object"``); authenticates
        first if needed."""
        if kind not in ("account", "container", "object"):
            raise SwiftError(f"kind must be account, container or object, not {kind!r}")
        storage_url = self._authenticator.get().storage_url
        try:
            return endpoint_path(
                storage_url, cast("EndpointKind", kind), container, obj, full=full
            )
        except ValueError as error:
            raise SwiftError(str(error), container=container, obj=obj) from error

    @property
    def auth_requests(self) -> int:
        """How many authentication round trips this Service has made."""
        return self._authenticator.auth_requests

    @property
    def options(self) -> dict[str, Any]:
        """The service's options (a copy: changing it changes nothing)."""
        return self._options.to_dict()

    # ------------------------------------------------------------- plumbing

    def _call(
        self, options: Mapping[str, Any] | None, progress: Subscriber | None = None
    ) -> CallContext:
        """The context of one call: merged options, a child cancel scope, a stream."""
        if self._closed:
            raise SwiftError("the Service is closed")
        if options is not None and not isinstance(options, Mapping):
            raise OptionError(f"options must be a mapping, not {type(options).__name__}")
        merged = self._options.for_call(options)
        scope = self._roots[-1].child()
        events = self._events.with_subscriber(progress)
        pools = self._pools
        connection = self._connections.get
        if self._options.transport_differs(merged):
            # the call's own retry policy or timeout: every request of the
            # call goes out with it, through the Service's pools and sockets
            policy = CallPolicy(
                retry=RetryPolicy.from_options(merged),
                timeout=Transport.from_options(merged).timeout,
                force_auth_retry=merged.force_auth_retry,
            )
            pools = pools.for_call(policy)

            def connection() -> Connection:
                return self._connections.get().for_call(policy)

        return CallContext(
            options=merged,
            pools=pools,
            scope=scope,
            stream=ResultStream(scope, fail_fast=merged.fail_fast, events=events),
            connection=connection,
            capabilities=self._capabilities.info,
            events=events,
        )

    def _delegate(
        self,
        validate: Callable[[CallContext, ContainerArg, ObjectsArg], None],
        plan: Callable[[CallContext, ContainerArg, ObjectsArg], Iterable[Job]],
        container: ContainerArg,
        objects: ObjectsArg,
        options: Mapping[str, Any] | None,
        progress: Subscriber | None,
    ) -> Generator[Result, None, None]:
        """Run one of the pooled operations (``swiftsvc.ops.{upload,download,
        delete,copy}``): its ``validate`` raises at the call, its ``plan``
        yields the jobs the pools run."""
        ctx = self._call(options, progress)
        if isinstance(container, str):
            _check_container_name(container)
        validate(ctx, container, objects)
        return self._owned(ctx.stream.run(plan(ctx, container, objects)))

    def _owned(self, results: Iterator[T]) -> Generator[T, None, None]:
        """``results``, keeping this Service alive while they are consumed:
        ``for r in Service(o).stat(c, names)`` must not lose its pools to the
        garbage collector half-way. Closing this closes ``results``."""
        yield from results

    # ------------------------------------------------------------ operations

    @overload
    def stat(
        self, container: None = None, objects: None = None, options: CallOptions = None
    ) -> StatAccountResult: ...

    @overload
    def stat(
        self, container: str, objects: None = None, options: CallOptions = None
    ) -> StatContainerResult: ...

    @overload
    def stat(
        self, container: str, objects: Iterable[str], options: CallOptions = None
    ) -> Generator[StatObjectResult, None, None]: ...

    def stat(
        self,
        container: str | None = None,
        objects: Iterable[str] | None = None,
        options: CallOptions = None,
    ) -> StatAccountResult | StatContainerResult | Generator[StatObjectResult, None, None]:
        """``stat_account`` / ``stat_container`` dict, or a generator of ``stat_object``.

        As in python-swiftclient, an empty ``objects`` means the container's
        own stat, and a missing account or container raises :class:`SwiftError`.
        """
        ctx = self._call(options)
        if not container:
            _no_objects_without_container(objects)
            return stat_op.stat_account(ctx.connection(), ctx.options)
        _check_container(container)
        if not objects:
            return stat_op.stat_container(ctx.connection(), container, ctx.options)
        names = iter_names(objects, operation="stat")
        stream = ctx.stream.run(stat_op.plan_objects(ctx, container, names))
        return self._owned(cast("Iterator[StatObjectResult]", stream))

    @overload
    def list(
        self, container: None = None, options: CallOptions = None
    ) -> Generator[ListAccountPartResult, None, None]: ...

    @overload
    def list(
        self, container: str, options: CallOptions = None
    ) -> Generator[ListContainerPartResult, None, None]: ...

    def list(
        self, container: str | None = None, options: CallOptions = None
    ) -> Generator[ListAccountPartResult | ListContainerPartResult, None, None]:
        """Pages of the account or of ``container`` (``list_*_part``), fetched as
        they are consumed; a missing container is a failed page."""
        ctx = self._call(options)
        if container is not None:
            _check_container(container)
        return self._owned(listing.list_results(ctx, container))

    @overload
    def post(
        self, container: None = None, objects: None = None, options: CallOptions = None
    ) -> PostAccountResult: ...

    @overload
    def post(
        self, container: str, objects: None = None, options: CallOptions = None
    ) -> PostContainerResult: ...

    @overload
    def post(
        self, container: str, objects: Iterable[str | PostObject], options: CallOptions = None
    ) -> Generator[PostObjectResult, None, None]: ...

    def post(
        self,
        container: str | None = None,
        objects: Iterable[str | PostObject] | None = None,
        options: CallOptions = None,
    ) -> PostAccountResult | PostContainerResult | Generator[PostObjectResult, None, None]:
        """``post_account`` / ``post_container`` dict, or a generator of ``post_object``."""
        ctx = self._call(options)
        if not container:
            _no_objects_without_container(objects)
            return post_op.post_account(ctx.connection(), ctx.options)
        _check_container(container)
        if not objects:
            return post_op.post_container(ctx.connection(), container, ctx.options)
        items = iter_named(objects, PostObject, operation="post")
        stream = ctx.stream.run(post_op.plan_objects(ctx, container, items))
        return self._owned(cast("Iterator[PostObjectResult]", stream))

    def upload(
        self,
        container: str,
        objects: Iterable[Any],
        options: CallOptions = None,
        *,
        progress: Subscriber | None = None,
    ) -> Generator[UploadResult, None, None]:
        """Upload paths, directories or ``UploadObject`` items (docs/COMPAT.md)."""
        stream = self._delegate(
            upload_op.validate, upload_op.plan, container, objects, options, progress
        )
        return cast("Generator[UploadResult, None, None]", stream)

    def download(
        self,
        container: str | None = None,
        objects: Iterable[str] | None = None,
        options: CallOptions = None,
        *,
        progress: Subscriber | None = None,
    ) -> Generator[DownloadObjectResult, None, None]:
        """Download objects, a container, or (with ``yes_all``) the account."""
        stream = self._delegate(
            download_op.validate, download_op.plan, container, objects, options, progress
        )
        return cast("Generator[DownloadObjectResult, None, None]", stream)

    def delete(
        self,
        container: str | None = None,
        objects: Iterable[Any] | None = None,
        options: CallOptions = None,
        *,
        progress: Subscriber | None = None,
    ) -> Generator[DeleteResult, None, None]:
        """Delete objects, a container, or (with ``yes_all``) the account."""
        stream = self._delegate(
            delete_op.validate, delete_op.plan, container, objects, options, progress
        )
        return cast("Generator[DeleteResult, None, None]", stream)

    def copy(
        self,
        container: str,
        objects: Iterable[Any],
        options: CallOptions = None,
        *,
        progress: Subscriber | None = None,
    ) -> Generator[CopyResult, None, None]:
        """Copy objects (names or ``CopyObject`` items) to ``destination``."""
        stream = self._delegate(
            copy_op.validate, copy_op.plan, container, objects, options, progress
        )
        return cast("Generator[CopyResult, None, None]", stream)

    def capabilities(
        self, url: str | None = None, refresh_cache: bool = False
    ) -> CapabilitiesResult:
        """The cluster's ``/info`` (``capabilities`` dict), cached per Service and URL.

        A failed request raises its :class:`ClientException`, as in python-swiftclient.
        """
        if self._closed:
            raise SwiftError("the Service is closed")
        return self._capabilities.result(url, refresh=refresh_cache).copy()

    def batch(self, options: CallOptions = None) -> Batch:
        """Queue small uploads and deletes, sent in the fewest requests on leaving the block."""
        from swiftsvc.ops.batch import Batch

        self._call(options)  # check the options now
        return Batch(lambda: self._call(options))


SwiftService = Service


def _check_container(container: object) -> None:
    if not isinstance(container, str):
        raise SwiftError(f"container names must be strings, not {type(container).__name__}")
    if "/" in container:
        raise SwiftError(f"container name {container!r} must not contain '/'", container=container)
    _check_container_name(container)


def _check_container_name(container: str) -> None:
    # upload's "cont/pseudo/folder" is checked whole: no part may hold NUL either
    problem = name_problem(container, "container")
    if problem is not None:
        raise SwiftError(problem, container=container)


def _no_objects_without_container(objects: object) -> None:
    if objects:
        raise SwiftError("Objects specified without container")

"""A fault-injecting HTTP/1.1 proxy to put in front of a real Swift proxy server.

Tests script it to make the next matching request fail in a precise way::

    with FaultProxy(local_swift.proxy_url) as proxy:
        proxy.respond(503, headers={"Retry-After": "1"}, method="PUT", path=r"/obj$")
        proxy.reset_after_headers(method="GET", times=2)
        ...  # point the client at proxy.url
        assert proxy.count(method="PUT") == 2

Everything that is not faulted is relayed unchanged: the ``Host`` header is kept, so
tempauth builds its ``X-Storage-Url`` from it and the client keeps talking through the
proxy. Bodies are streamed both ways in 64 KiB pieces, so multi-hundred-megabyte uploads
pass without being buffered. When the upstream dies in the middle of a response body,
the client connection is closed too (the recorded request says ``upstream_cut``): the
client sees the cut, as it would without the proxy. Only plain ``http://`` upstreams
are supported.

The package, by concept:

``_rules``      the scripted faults and the ordered book each request claims one from
``_recorder``   what the proxy saw, credentials redacted
``_relay``      one client connection: apply the fault, relay the rest
``_server``     the listening socket, a thread per connection, a stop that closes all
``_wire``       HTTP/1.1 framing done by hand (chunked bodies, hop-by-hop headers)
``_proxy``      :class:`FaultProxy`, the one class tests use
"""

from swiftsvc.testing.faultproxy._proxy import FaultProxy
from swiftsvc.testing.faultproxy._recorder import RecordedRequest
from swiftsvc.testing.faultproxy._rules import Fault, FaultKind

__all__ = ["Fault", "FaultKind", "FaultProxy", "RecordedRequest"]

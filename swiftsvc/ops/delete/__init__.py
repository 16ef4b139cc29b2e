"""The delete wing: everything ``Service.delete`` does, and nothing else.

- :mod:`.planner`: validates the call and routes each object: one request, a
  large object with its segments, or a bulk-delete chunk;
- :mod:`.targets`: what is deleted (names, a container, the account);
- :mod:`.jobs`: the jobs (objects, manifests then segments, containers);
- :mod:`.bulk`: the bulk-delete middleware's requests.

Shared with the other wings only through :mod:`swiftsvc.ops.large_objects`,
:mod:`swiftsvc.ops.bulk_answers` and :mod:`swiftsvc.ops.listing`.
"""

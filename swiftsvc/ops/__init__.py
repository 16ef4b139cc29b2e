"""The operations, one wing per operation: what ``Service`` calls.

- ``upload/``, ``download/``, ``delete/``: a package each, its ``planner``
  validating the call and yielding :class:`~swiftsvc._streams.Job` values for
  a :class:`~swiftsvc.ops._context.CallContext`; jobs are top-level functions
  taking the worker's connection first;
- ``stat``, ``post``, ``copy``, ``capabilities``, ``listing``: the smaller
  operations, a module each;
- shared between wings, and only these: ``containers`` (creating one),
  ``large_objects`` (manifests and segments), ``bulk_answers`` (the bulk
  middleware's bodies and answers), ``listing`` (paged listings);
- ``batch``: ``Service.batch()``, which queues uploads and deletes together.
"""

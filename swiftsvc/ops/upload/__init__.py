"""The upload wing: everything ``Service.upload`` does, and nothing else.

- :mod:`.planner`: validates the call and turns paths, directories, streams and
  ``UploadObject`` items into jobs (the container first, then each object);
- :mod:`.sources`: walks local paths into upload items (one ``stat`` each);
- :mod:`.cursor` and :mod:`.remote`: what each upload would overwrite, learned
  from one listing per directory, and the skip / cleanup decisions on it;
- :mod:`.segments`: pure decisions of segmented uploads (plans, names, manifests);
- :mod:`.common`, :mod:`.files`, :mod:`.large`, :mod:`.stream`: the jobs for a
  dir marker or small file, a segmented file, and a stream;
- :mod:`.conditions`: safe writes (``If-None-Match: *``, ``If-Match``), checked
  before any byte or segment is sent;
- :mod:`.archive` and :mod:`.tar`: small files sent as tar archives to the bulk
  middleware (``batch``).

Shared with the other wings only through :mod:`swiftsvc.ops.containers`,
:mod:`swiftsvc.ops.large_objects`, :mod:`swiftsvc.ops.bulk_answers` and
:mod:`swiftsvc.ops.listing`.
"""

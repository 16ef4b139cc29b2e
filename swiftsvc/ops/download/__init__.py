"""The download wing: everything ``Service.download`` does, and nothing else.

- :mod:`.planner`: validates the call and turns names, a container or the
  account into download jobs;
- :mod:`.job`: one object's download (headers, skip decisions, the result);
- :mod:`.body`: a body streamed to its file with its checks (length, MD5);
- :mod:`.large` and :mod:`.pieces`: large objects verified segment by segment,
  an SLO fetched as parallel ranged pieces;
- :mod:`.local`: the local side, safe paths for object names and the bytes
  checked as they stream (length, MD5, part by part);
- :mod:`.part_files`: a temporary file beside the target renamed over it only
  once verified (never a partial file at the target's name), named and locked
  so a killed run's file is found again or swept;
- :mod:`.partial`: resuming the part file a killed run left (``Range`` +
  ``If-Match``, kept bytes verified), or removing it when it cannot be.

Shared with the other wings only through :mod:`swiftsvc.ops.large_objects` and
:mod:`swiftsvc.ops.listing`.
"""

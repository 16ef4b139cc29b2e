"""The download wing: everything ``Service.download`` does, and nothing else.

- :mod:`.planner`: validates the call and turns names, a container or the
  account into download jobs;
- :mod:`.job`: one object's download (headers, skip decisions, the steps);
- :mod:`.record`: what that download reports, noted as it goes, and the
  ``download_object`` result made of it;
- :mod:`.body`: a body streamed to its file (or to the caller) with its checks
  (length, MD5), resumed when the connection drops;
- :mod:`.large` and :mod:`.pieces`: large objects verified segment by segment,
  an SLO fetched as parallel ranged pieces;
- :mod:`.local`: the local side, safe paths for object names and the bytes
  checked as they stream (length, MD5, part by part);
- :mod:`.part_files`: a temporary file beside the target renamed over it only
  once verified (never a partial file at the target's name), named and locked
  so a killed run's file is found again or swept;
- :mod:`.partial`: the part file a killed run left and its state (``Range`` +
  ``If-Match``, kept bytes verified), or removing it when it cannot be resumed;
- :mod:`.resume`: one download's resume, from claiming that part file to
  landing in it.

Shared with the other wings only through :mod:`swiftsvc.ops.large_objects` and
:mod:`swiftsvc.ops.listing`.
"""

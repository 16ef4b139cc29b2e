"""What one object's download reports, noted as it goes, and the result made of it.

:mod:`swiftsvc.ops.download.job` fills a :class:`Record` in step by step (the
requests made, when the answer came, where the file went, how many bytes were
read) and turns it into the ``download_object`` result with :meth:`Record.build`,
also after a failure halfway.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from swiftsvc import results
from swiftsvc.http.response import Attempt
from swiftsvc.results import DownloadObjectResult, Status


class Record:
    """One object's download as its result will tell it."""

    def __init__(self, container: str, obj: str) -> None:
        self.container = container
        self.obj = obj
        self.history: list[Attempt] = []
        # the history from here on is the tries of the request bringing the
        # body (its retries and resumes): the result's ``attempts``
        self.content_mark = 0
        self.tries: int | None = None  # set instead when pieces were fetched in parallel
        self.start_time = time.time()
        self.headers_receipt: float | None = None
        self.auth_end_time: float | None = None
        self.path: str | None = None
        self.pseudodir = False
        self.read_length = 0

    def build(
        self,
        status: Status | None,
        *,
        resumed_from: int,
        error: BaseException | None = None,
        contents: Iterator[bytes] | None = None,
        history: list[Attempt] | None = None,
    ) -> DownloadObjectResult:
        """The result; times not reached (a failure before the answer) are the end's."""
        now = time.time()
        history = self.history if history is None else history
        tries = self.tries if self.tries is not None else len(history) - self.content_mark
        return results.download_object(
            container=self.container,
            object=self.obj,
            path=self.path if self.path is not None else self.obj,
            pseudodir=self.pseudodir,
            start_time=self.start_time,
            auth_end_time=now if self.auth_end_time is None else self.auth_end_time,
            headers_receipt=now if self.headers_receipt is None else self.headers_receipt,
            finish_time=now,
            read_length=self.read_length,
            status=status,
            tries=max(tries, 0),
            history=history,
            contents=contents,
            error=error,
            resumed_from=resumed_from,
        )

"""A download in a process of its own, for the test to kill (test_download_resume.py).

Usage: ``python _download_child.py '<options as JSON>' CONTAINER OBJECT OUT_DIRECTORY``;
prints each result's action, object and success as a JSON line.
"""

from __future__ import annotations

import json
import sys

from swiftsvc import Service


def main(arguments: list[str]) -> int:
    options, container, obj, out = json.loads(arguments[0]), *arguments[1:4]
    with Service(options) as svc:
        for result in svc.download(container, [obj], options={"out_directory": out}):
            print(json.dumps({key: result.get(key) for key in ("action", "object", "success")}),
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

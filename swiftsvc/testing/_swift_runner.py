"""Entry points run by the Swift virtualenv's python, by file path.

Never imported by swiftsvc: it imports swift, which lives only in the server
virtualenv. ``LocalSwift`` runs ``<venv>/bin/python _swift_runner.py CMD ...``.

Swift reads storage policies and ``[swift-constraints]`` from
``/etc/swift/swift.conf`` when its modules are imported; ``swift_dir`` in the
server configs covers only rings and the hash prefix. So every command first
points swift at the private folder and reloads policies and constraints, and
only then imports the server code. Nothing here touches /etc/swift.

Commands::

    rings SWIFT_DIR ACCOUNT_PORT CONTAINER_PORT OBJECT_PORT
    server KIND SWIFT_DIR CONF          KIND: proxy account container object
    sweep SWIFT_DIR CONTAINER_CONF OBJECT_CONF EXPIRER_CONF INTERVAL
"""

from __future__ import annotations

import sys
import time
from typing import Any

_SECTIONS = {
    "proxy": "proxy-server",
    "account": "account-server",
    "container": "container-server",
    "object": "object-server",
}


def _use_private_swift_dir(swift_dir: str) -> None:
    from swift.common import utils  # type: ignore[import-not-found,unused-ignore]

    utils.set_swift_dir(swift_dir)
    from swift.common import (  # type: ignore[import-not-found,unused-ignore]
        constraints,
        storage_policy,
    )

    storage_policy.reload_storage_policies()
    constraints.reload_constraints()


def build_rings(swift_dir: str, account_port: int, container_port: int, object_port: int) -> None:
    """One replica, one device per ring, all in this one process (fast)."""
    from swift.common.ring import RingBuilder  # type: ignore[import-not-found,unused-ignore]

    rings = {
        "account": account_port,
        "container": container_port,
        "object": object_port,
        "object-1": object_port,
    }
    for name, port in rings.items():
        builder: Any = RingBuilder(10, 1, 1)
        builder.add_dev(
            {
                "id": 0,
                "region": 1,
                "zone": 1,
                "ip": "127.0.0.1",
                "port": port,
                "device": "sdb1",
                "weight": 100.0,
                "meta": "",
            }
        )
        builder.rebalance()
        builder.save(f"{swift_dir}/{name}.builder")
        builder.get_ring().save(f"{swift_dir}/{name}.ring.gz")


def serve(kind: str, swift_dir: str, conf: str) -> int:
    _use_private_swift_dir(swift_dir)
    from swift.common.wsgi import run_wsgi  # type: ignore[import-not-found,unused-ignore]

    options: dict[str, Any] = {"verbose": True}
    if kind == "object":
        # what swift-object-server's main() passes: sets up replication locks
        from swift.obj.server import (  # type: ignore[import-not-found,unused-ignore]
            global_conf_callback,
        )

        options["global_conf_callback"] = global_conf_callback
    return int(run_wsgi(conf, _SECTIONS[kind], **options))


def sweep(
    swift_dir: str, container_conf: str, object_conf: str, expirer_conf: str, interval: float
) -> None:
    """Container and object updaters plus the expirer in one light loop.

    The stock updater daemons fork per device or partition and can eat a core;
    one sweep every few seconds is all a one-node test cluster needs for
    account/container stats and X-Delete-After to settle.
    """
    _use_private_swift_dir(swift_dir)
    from swift.common.utils import (  # type: ignore[import-not-found,unused-ignore]
        get_logger,
        readconf,
    )
    from swift.container.updater import (  # type: ignore[import-not-found,unused-ignore]
        ContainerUpdater,
    )
    from swift.obj.expirer import ObjectExpirer  # type: ignore[import-not-found,unused-ignore]
    from swift.obj.updater import ObjectUpdater  # type: ignore[import-not-found,unused-ignore]

    # the first console logger makes every later swift logger write to stderr too
    get_logger({}, name="sweep", log_to_console=True)
    container_updater: Any = ContainerUpdater(readconf(container_conf, "container-updater"))
    object_updater: Any = ObjectUpdater(readconf(object_conf, "object-updater"))
    expirer: Any = ObjectExpirer(readconf(expirer_conf, "object-expirer"))
    devices = object_updater.devices
    while True:
        started = time.monotonic()
        for name, step in (
            ("container updater", container_updater.run_once),
            (
                "object updater",
                lambda: object_updater._process_device_in_child(f"{devices}/sdb1", "sdb1"),
            ),
            ("object expirer", expirer.run_once),
        ):
            try:
                step()
            except Exception as error:
                # a failed sweep is retried next round; the servers may be restarting
                print(f"sweep: {name} failed: {error!r}", file=sys.stderr, flush=True)
        time.sleep(max(0.1, interval - (time.monotonic() - started)))


def main(argv: list[str]) -> int:
    command, args = argv[0], argv[1:]
    if command == "rings":
        build_rings(args[0], int(args[1]), int(args[2]), int(args[3]))
        return 0
    if command == "server":
        return serve(args[0], args[1], args[2])
    if command == "sweep":
        sweep(args[0], args[1], args[2], args[3], float(args[4]))
        return 0
    print(f"unknown command {command!r}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""What a LocalKeystone state folder holds before ``keystone-manage`` runs.

Fernet and credential keys, ``keystone.conf`` (sqlite, in-memory cache, cheap
password hashing) and the WSGI module gunicorn serves, all written directly:
no ``keystone-manage fernet_setup``/``credential_setup`` (2 s of start-up each).
"""

from __future__ import annotations

import secrets
from base64 import urlsafe_b64encode
from pathlib import Path

__all__ = ["write_keystone_state"]

# Keystone parses sys.argv when imported: gunicorn's own arguments would break it
_WSGI_MODULE = """\
import sys
sys.argv = sys.argv[:1]
from keystone.wsgi.api import application  # noqa: E402
"""


def write_keystone_state(state_dir: Path, *, log_path: Path) -> None:
    for folder in ("fernet-keys", "credential-keys"):
        keys = state_dir / folder
        keys.mkdir(mode=0o700)
        # what fernet_setup/credential_setup write: keys 0 (staged) and 1 (primary)
        for index in ("0", "1"):
            (keys / index).write_bytes(_fernet_key())
            (keys / index).chmod(0o600)
    (state_dir / "keystone.conf").write_text(_config(state_dir, log_path))
    (state_dir / "keystone_wsgi.py").write_text(_WSGI_MODULE)


def _config(state_dir: Path, log_path: Path) -> str:
    return "\n".join(
        [
            "[DEFAULT]",
            f"log_file = {log_path}",
            "[database]",
            f"connection = sqlite:///{state_dir / 'keystone.db'}",
            "[fernet_tokens]",
            f"key_repository = {state_dir / 'fernet-keys'}",
            "[fernet_receipts]",
            f"key_repository = {state_dir / 'fernet-keys'}",
            "[credential]",
            f"key_repository = {state_dir / 'credential-keys'}",
            "[identity]",
            # bcrypt's default cost makes every password check take ~270 ms
            "password_hash_rounds = 4",
            "[cache]",
            "enabled = true",
            "backend = dogpile.cache.memory",
            "",
        ]
    )


def _fernet_key() -> bytes:
    # Fernet.generate_key(): urlsafe base64 of 32 random bytes
    return urlsafe_b64encode(secrets.token_bytes(32))

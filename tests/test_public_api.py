"""The public surface: swiftsvc.__all__, the error attributes, the *Object helpers."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

import swiftsvc
from swiftsvc import (
    ClientException,
    CopyObject,
    DeleteObject,
    OptionError,
    PostObject,
    Service,
    SwiftError,
    SwiftService,
    UploadObject,
)


def test_exported_members() -> None:
    # pinned: adding or removing a public name must be a deliberate change
    assert sorted(swiftsvc.__all__) == sorted([
        "AuthError", "ClientException", "CopyObject", "DeleteObject", "OptionError",
        "PostObject", "Service", "SwiftCopyObject", "SwiftDeleteObject", "SwiftError",
        "SwiftPostObject", "SwiftService", "SwiftUploadObject", "UploadObject",
        "__version__",
    ])
    for name in swiftsvc.__all__:
        assert hasattr(swiftsvc, name), name


def test_swiftclient_names_are_aliases() -> None:
    assert SwiftService is Service
    assert swiftsvc.SwiftUploadObject is UploadObject
    assert swiftsvc.SwiftPostObject is PostObject
    assert swiftsvc.SwiftDeleteObject is DeleteObject
    assert swiftsvc.SwiftCopyObject is CopyObject


def test_version_is_a_string() -> None:
    assert isinstance(swiftsvc.__version__, str) and swiftsvc.__version__


def test_swift_error_has_swiftclients_attributes() -> None:
    cause = ClientException("boom", http_status=503, transaction_id="tx1")
    error = SwiftError("failed", container="c", obj="o", segment="s", exc=cause)
    assert (error.value, error.container, error.obj, error.segment) == ("failed", "c", "o", "s")
    assert error.exception is cause
    assert error.transaction_id == "tx1"
    assert "container:c" in str(error) and "object:o" in str(error)


def test_client_exception_reason_is_http_reason() -> None:
    error = ClientException("nope", http_status=404, http_reason="Not Found")
    assert error.reason == "Not Found" == error.http_reason
    assert error.http_status == 404


_SPY = r"""
import importlib, os, pkgutil, sys
reads = []
class Spy(dict):
    def get(self, key, default=None):
        reads.append(key)
        return super().get(key, default)
    def __getitem__(self, key):
        reads.append(key)
        return super().__getitem__(key)
    def __contains__(self, key):
        reads.append(key)
        return super().__contains__(key)
os.environ = Spy(os.environ)
import swiftsvc
for info in pkgutil.walk_packages(swiftsvc.__path__, "swiftsvc."):
    if not info.name.startswith(("swiftsvc.testing", "swiftsvc.cli")):
        try:
            importlib.import_module(info.name)
        except ImportError:
            pass  # a module still being written elsewhere
print(sorted({k for k in reads if k.startswith(("ST_", "OS_", "SWIFTCLIENT"))}))
"""


def test_importing_reads_no_environment() -> None:
    env = {**os.environ, "ST_AUTH": "http://x/auth/v1.0", "OS_USERNAME": "u"}
    out = subprocess.run(
        [sys.executable, "-c", _SPY], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


class TestUploadObject:
    def test_a_path_names_the_object(self) -> None:
        item = UploadObject("/tmp/file.txt")
        assert item.object_name == "tmp/file.txt"
        assert item.source == "/tmp/file.txt"
        assert item.options is None

    def test_a_stream_or_none_needs_a_name(self) -> None:
        with pytest.raises(SwiftError, match="Object names must be specified"):
            UploadObject(io.BytesIO(b"x"))
        with pytest.raises(SwiftError, match="Object names must be specified"):
            UploadObject(None)
        assert UploadObject(None, "dir").object_name == "dir"

    def test_an_unexpected_source_is_refused(self) -> None:
        with pytest.raises(SwiftError, match="Unexpected source type"):
            UploadObject(42, "x")  # type: ignore[arg-type]

    def test_an_empty_name_is_refused(self) -> None:
        with pytest.raises(SwiftError, match="must not be empty"):
            UploadObject("/", None)

    def test_unknown_options_are_refused_at_construction(self) -> None:
        with pytest.raises(OptionError, match="segmnet_size"):
            UploadObject("f", options={"segmnet_size": 1})

    def test_the_callers_options_are_copied(self) -> None:
        options = {"meta": ["a:b"]}
        item = UploadObject("f", options=options)
        assert item.options == options and item.options is not options


@pytest.mark.parametrize("kind", [PostObject, DeleteObject, CopyObject])
def test_named_objects_need_a_non_empty_string(kind: type) -> None:
    with pytest.raises(SwiftError, match="non-empty strings"):
        kind("")
    with pytest.raises(SwiftError, match="non-empty strings"):
        kind(None)
    assert kind("o").object_name == "o"


class TestCopyObject:
    def test_a_container_destination_keeps_the_name(self) -> None:
        assert CopyObject("a/b", {"destination": "/other"}).destination == "/other/a/b"

    def test_a_full_destination_is_kept(self) -> None:
        item = CopyObject("a", {"destination": "/other/new", "fresh_metadata": True})
        assert item.destination == "/other/new"
        assert item.fresh_metadata is True

    @pytest.mark.parametrize("bad", ["other", "/", "/other/"])
    def test_a_malformed_destination_is_refused(self, bad: str) -> None:
        with pytest.raises(SwiftError, match="destination must"):
            CopyObject("a", {"destination": bad})

    def test_no_options_means_no_destination(self) -> None:
        item = CopyObject("a")
        assert item.destination is None and item.fresh_metadata is False

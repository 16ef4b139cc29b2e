"""Unit tests of swiftsvc.options: defaults, coercion, environment, immutability."""

from __future__ import annotations

import dataclasses

import pytest

from swiftsvc.errors import OptionError, SwiftError
from swiftsvc.option_values import parse_headers
from swiftsvc.options import ENVIRONMENT, KNOWN_OPTIONS, Options

# every option name python-swiftclient 4.x's SwiftService understands
SWIFTCLIENT_OPTION_NAMES = {
    "os_username", "os_user_id", "os_user_domain_id", "os_user_domain_name",
    "os_password", "os_tenant_id", "os_tenant_name", "os_project_id",
    "os_project_name", "os_project_domain_id", "os_project_domain_name",
    "os_auth_url", "os_auth_token", "os_auth_type", "os_application_credential_id",
    "os_application_credential_secret", "os_storage_url", "os_region_name",
    "os_service_type", "os_endpoint_type", "os_cacert", "os_cert", "os_key",
    "auth_version", "auth", "user", "key", "insecure", "ssl_compression",
    "snet", "verbose", "debug", "info", "os_options", "retries", "force_auth_retry",
    "object_uu_threads", "object_dd_threads", "container_threads", "segment_threads",
    "segment_size", "use_slo", "segment_container", "leave_segments", "changed",
    "skip_identical", "skip_container_put", "yes_all", "no_download", "header",
    "meta", "long", "fail_fast", "prefix", "delimiter", "marker", "dir_marker",
    "checksum", "shuffle", "destination", "fresh_metadata", "out_directory",
    "out_file", "remove_prefix", "read_acl", "write_acl", "sync_to", "sync_key",
    "human", "totals", "ignore_mtime", "versions", "version_id", "timeout",
    "object_threads",
}


def test_every_swiftclient_option_name_is_known() -> None:
    assert set() == SWIFTCLIENT_OPTION_NAMES - KNOWN_OPTIONS


def test_every_option_of_the_installed_swiftclient_is_known() -> None:
    service = pytest.importorskip("swiftclient.service")
    names = set(service._default_global_options) | set(service._default_local_options)
    assert names - KNOWN_OPTIONS == set()


def test_defaults_follow_the_spec_table() -> None:
    o = Options()
    assert (o.retries, o.container_threads, o.object_uu_threads) == (5, 10, 10)
    assert (o.object_dd_threads, o.segment_threads) == (10, 10)
    assert o.segment_size is None and o.use_slo is None and o.segment_container is None
    assert o.leave_segments is False and o.changed is None and o.skip_identical is False
    assert o.yes_all is False and o.no_download is False
    assert o.header == () and o.meta == () and o.long is False and o.fail_fast is False
    assert (o.prefix, o.delimiter, o.marker) == (None, None, "")
    assert o.dir_marker is False and o.checksum is True and o.shuffle is False
    assert o.destination is None and o.fresh_metadata is False
    assert (o.out_directory, o.out_file, o.remove_prefix) == (None, None, False)
    assert (o.read_acl, o.write_acl, o.sync_to, o.sync_key) == (None, None, None, None)
    assert o.skip_container_put is False and o.ignore_mtime is False
    assert (o.versions, o.version_id) == (False, None)


def test_unknown_option_is_an_error_naming_it_with_a_suggestion() -> None:
    with pytest.raises(OptionError) as caught:
        Options().merged({"segmnet_size": 10})
    assert "segmnet_size" in str(caught.value)
    assert "segment_size" in str(caught.value)
    assert isinstance(caught.value, SwiftError)


def test_merged_returns_a_new_record_and_leaves_inputs_alone() -> None:
    base = Options()
    overrides = {"retries": 2, "meta": ["a:b"]}
    snapshot = {"retries": 2, "meta": ["a:b"]}
    new = base.merged(overrides)
    assert new.retries == 2 and new.meta == (("a", "b"),)
    assert base.retries == 5 and base.meta == ()
    assert overrides == snapshot
    with pytest.raises(dataclasses.FrozenInstanceError):
        new.retries = 3  # type: ignore[misc]


def test_merged_without_overrides_is_the_same_record() -> None:
    base = Options()
    assert base.merged(None) is base
    assert base.merged({}) is base


def test_environment_fills_auth_options_and_options_win() -> None:
    env = {"ST_AUTH": "http://env/auth/v1.0", "ST_USER": "env:user", "ST_KEY": "envkey",
           "OS_PASSWORD": "pw"}
    o = Options.from_service({"user": "opt:user"}, env)
    assert o.auth == "http://env/auth/v1.0"
    assert o.user == "opt:user"
    assert o.key == "envkey"
    assert o.sources["os_password"] == "environment OS_PASSWORD"
    assert o.sources["user"] == "option"
    assert o.given("key") and not o.given("os_username")


def test_empty_environment_variables_are_ignored() -> None:
    o = Options.from_service(None, {"ST_AUTH": ""})
    assert o.auth is None and not o.given("auth")


def test_environment_names_follow_the_spec() -> None:
    assert ENVIRONMENT["auth_version"] == "ST_AUTH_VERSION"
    assert ENVIRONMENT["insecure"] == "SWIFTCLIENT_INSECURE"
    assert ENVIRONMENT["os_project_domain_name"] == "OS_PROJECT_DOMAIN_NAME"


@pytest.mark.parametrize(("given", "expected"), [("1", "1.0"), ("2", "2.0"), ("3.0", "3"),
                                                 (3, "3"), ("", None)])
def test_auth_version_is_normalised(given: object, expected: str | None) -> None:
    assert Options().merged({"auth_version": given}).auth_version == expected


def test_bad_auth_version_is_refused() -> None:
    with pytest.raises(OptionError, match="auth_version"):
        Options().merged({"auth_version": "4"})


@pytest.mark.parametrize(("given", "expected"), [("yes", True), ("0", False), ("True", True),
                                                 (1, True), (None, False)])
def test_booleans_accept_environment_strings(given: object, expected: bool) -> None:
    assert Options().merged({"insecure": given}).insecure is expected


def test_a_bool_option_refuses_nonsense() -> None:
    with pytest.raises(OptionError, match="long"):
        Options().merged({"long": "sometimes"})


def test_counts_accept_digit_strings_and_check_the_minimum() -> None:
    assert Options().merged({"container_threads": "3"}).container_threads == 3
    with pytest.raises(OptionError, match="container_threads"):
        Options().merged({"container_threads": 0})
    with pytest.raises(OptionError):
        Options().merged({"retries": True})


def test_object_threads_sizes_both_object_pools() -> None:
    o = Options().merged({"object_threads": 4})
    assert (o.object_uu_threads, o.object_dd_threads) == (4, 4)
    o = Options().merged({"object_threads": 4, "object_dd_threads": 7})
    assert (o.object_uu_threads, o.object_dd_threads) == (4, 7)


def test_os_options_fill_the_flat_names_unless_given() -> None:
    o = Options().merged({"os_options": {"project_name": "p", "region_name": "r"},
                          "os_region_name": "flat"})
    assert o.os_project_name == "p"
    assert o.os_region_name == "flat"


def test_secrets_stay_out_of_repr() -> None:
    o = Options().merged({"key": "s3cr3t", "os_password": "hunter2", "sync_key": "k"})
    text = repr(o)
    assert "s3cr3t" not in text and "hunter2" not in text


def test_secret_values_stay_out_of_error_messages() -> None:
    with pytest.raises(OptionError) as caught:
        Options().merged({"key": 12345})
    assert "12345" not in str(caught.value)


def test_to_dict_has_every_option_and_no_bookkeeping() -> None:
    d = Options().to_dict()
    assert set(d) == KNOWN_OPTIONS


def test_segment_size_accepts_strings_and_empty() -> None:
    assert Options().merged({"segment_size": "1048576"}).segment_size == 1048576
    assert Options().merged({"segment_size": ""}).segment_size is None


class TestParseHeaders:
    def test_strings_pairs_and_mappings(self) -> None:
        assert parse_headers("header", ["X-A: 1", "X-B:two:three"]) == (
            ("X-A", "1"), ("X-B", "two:three"))
        assert parse_headers("header", [("X-C", 3)]) == (("X-C", "3"),)
        assert parse_headers("header", {"X-D": "4"}) == (("X-D", "4"),)
        assert parse_headers("header", "X-E:5") == (("X-E", "5"),)
        assert parse_headers("header", None) == ()

    def test_missing_colon_is_refused(self) -> None:
        with pytest.raises(OptionError, match="Name:value"):
            parse_headers("header", ["no-colon"])

    def test_header_injection_is_refused(self) -> None:
        with pytest.raises(OptionError, match="line break"):
            parse_headers("meta", ["a:b\r\nX-Evil: 1"])

    def test_bad_header_name_is_refused(self) -> None:
        with pytest.raises(OptionError, match="not a valid header name"):
            parse_headers("header", ["bad name:1"])

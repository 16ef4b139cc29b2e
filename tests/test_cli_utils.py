"""swiftsvc.cli_utils: argparse options for scripts, and turning them into Service options."""

from __future__ import annotations

import argparse
import io
import logging

import pytest

from swiftsvc import cli_utils


def _parse(*argv: str, **kwargs: int | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli_utils.add_parser_options(parser, **kwargs)  # type: ignore[arg-type]
    return parser.parse_args(list(argv))


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("1048576", 1048576),
        ("100B", 100),
        ("2k", 2048),
        ("64M", 64 << 20),
        ("1G", 1 << 30),
        ("3T", 3 << 40),
    ],
)
def test_parse_size_accepts_swift_suffixes(text: str, size: int) -> None:
    assert cli_utils.parse_size(text) == size


@pytest.mark.parametrize("text", ["", "M", "1.5G", "-5", "0", "0M", "12X", "ten"])
def test_parse_size_refuses_nonsense(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        cli_utils.parse_size(text)


def test_only_given_options_reach_the_service_so_environment_fallbacks_apply() -> None:
    args = _parse("-A", "http://x/auth/v1.0", "-U", "a:b", default_threads=None)
    assert cli_utils.service_options(args) == {"auth": "http://x/auth/v1.0", "user": "a:b"}


def test_every_auth_flag_maps_to_its_spec_option_name() -> None:
    args = _parse(
        "-K", "k", "-V", "3", "--os-username", "u", "--os-password", "p",
        "--os-project-name", "pr", "--os-project-domain-name", "d", "--os-user-domain-name", "ud",
        "--os-auth-url", "http://ks/v3", "--os-auth-token", "tok", "--os-storage-url", "http://s",
        "--os-region-name", "r", "--os-auth-type", "v3applicationcredential",
        "--os-application-credential-id", "aid", "--os-application-credential-secret", "as",
        "--os-tenant-name", "t", "--os-cacert", "ca.pem", "--os-cert", "c.pem",
        "--os-key", "k.pem", "--insecure", "--retries", "2", "--timeout", "7s",
        default_threads=None,
    )  # fmt: skip
    assert cli_utils.service_options(args) == {
        "key": "k", "auth_version": "3", "os_username": "u", "os_password": "p",
        "os_project_name": "pr", "os_project_domain_name": "d", "os_user_domain_name": "ud",
        "os_auth_url": "http://ks/v3", "os_auth_token": "tok", "os_storage_url": "http://s",
        "os_region_name": "r", "os_auth_type": "v3applicationcredential",
        "os_application_credential_id": "aid", "os_application_credential_secret": "as",
        "os_tenant_name": "t", "os_cacert": "ca.pem", "os_cert": "c.pem", "os_key": "k.pem",
        "insecure": True, "retries": 2, "timeout": 7.0,
    }  # fmt: skip


def test_service_options_are_all_known_to_the_library() -> None:
    from swiftsvc.options import KNOWN_OPTIONS

    assert cli_utils.SERVICE_OPTION_NAMES <= KNOWN_OPTIONS


def test_default_threads_become_pool_sizes_and_overrides_win() -> None:
    args = _parse("--segment-threads", "3", default_threads=7)
    options = cli_utils.service_options(args, container_threads=1)
    assert options["object_threads"] == 7
    assert options["segment_threads"] == 3
    assert options["container_threads"] == 1


def test_zero_threads_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as exit_:
        _parse("--object-threads", "0")
    assert exit_.value.code == 2


def test_suppressed_defaults_leave_the_namespace_alone() -> None:
    parser = argparse.ArgumentParser()
    cli_utils.add_parser_options(parser, suppress_defaults=True)
    assert vars(parser.parse_args([])) == {}
    assert vars(parser.parse_args(["-U", "x"])) == {"user": "x"}


@pytest.mark.parametrize(
    ("argv", "level"),
    [((), 0), (("-q",), -1), (("-v",), 1), (("-vv",), 2), (("-D",), 2), (("-D", "-q"), 2)],
)
def test_verbosity(argv: tuple[str, ...], level: int) -> None:
    assert cli_utils.verbosity(_parse(*argv)) == level


def test_setup_logger_levels_and_a_single_handler() -> None:
    stream = io.StringIO()
    logger = cli_utils.setup_logger(1, name="swiftsvc.test_cli_utils", stream=stream)
    assert logger.level == logging.INFO
    logger = cli_utils.setup_logger(-1, name="swiftsvc.test_cli_utils", stream=stream)
    assert logger.level == logging.ERROR
    assert len(logger.handlers) == 1


def test_setup_logger_hides_the_secrets_it_was_given() -> None:
    stream = io.StringIO()
    args = _parse("-K", "s3cr3t-key", "--os-password", "hunter22", "-D")
    logger = cli_utils.setup_logger(args, name="swiftsvc.test_cli_secret", stream=stream)
    logger.debug("sending key=%s password=%s", "s3cr3t-key", "hunter22")
    text = stream.getvalue()
    assert "s3cr3t-key" not in text and "hunter22" not in text
    assert "key=<redacted> password=<redacted>" in text

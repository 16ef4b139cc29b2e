"""Each subcommand's own arguments: its positionals and flags, with their help.

:mod:`swiftsvc.cli.parser` creates the subcommands (with the common options)
and hands each one to its ``add_<subcommand>`` here. As there, a flag's
``dest`` is the option name it sets, and a flag not given parses as None.
"""

from __future__ import annotations

import argparse

from swiftsvc.cli import utils as cli_utils


def _header(parser: argparse.ArgumentParser, text: str = "a request header") -> None:
    parser.add_argument(
        "-H",
        "--header",
        action="append",
        dest="header",
        default=None,
        metavar="NAME:VALUE",
        help=f"{text} (repeatable)",
    )


def _meta(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-m",
        "--meta",
        action="append",
        dest="meta",
        default=None,
        metavar="NAME:VALUE",
        help="a metadata item, e.g. -m Color:Blue (repeatable)",
    )


def _flag(parser: argparse.ArgumentParser, *flags: str, dest: str, help: str) -> None:
    # None when absent, so the library default (or the Service's) applies
    parser.add_argument(*flags, action="store_true", dest=dest, default=None, help=help)


def add_stat(parser: argparse.ArgumentParser) -> None:
    """``stat [container [object ...]]``"""
    parser.add_argument("container", nargs="?")
    parser.add_argument("objects", nargs="*")
    parser.add_argument("--lh", action="store_true", dest="human", help="human-readable sizes")
    parser.add_argument("--version-id", dest="version_id", help="a version of the object")
    _header(parser)


def add_list(parser: argparse.ArgumentParser) -> None:
    """``list [container]``"""
    parser.add_argument("container", nargs="?")
    parser.add_argument("-l", "--long", action="store_true", help="long listing, like ls -l")
    parser.add_argument(
        "--lh",
        action="store_true",
        dest="human",
        help="long listing with human-readable sizes, like ls -lh",
    )
    parser.add_argument(
        "-t", "--totals", action="store_true", help="with --long or --lh: only the totals"
    )
    parser.add_argument("-p", "--prefix", help="only names starting with this")
    parser.add_argument("-d", "--delimiter", help="roll up names at this character")
    parser.add_argument("--marker", help="start after this name")
    parser.add_argument("--end-marker", dest="end_marker", help="stop before this name")
    parser.add_argument(
        "-j",
        "--json",
        action="store_true",
        dest="json",
        default=argparse.SUPPRESS,
        help="the listing as a JSON array of entries, as swift list --json prints it",
    )
    _flag(parser, "--versions", dest="versions", help="every version of each object")
    _header(parser)


def add_upload(parser: argparse.ArgumentParser) -> None:
    """``upload container file_or_directory [...]``"""
    parser.add_argument("container")
    parser.add_argument(
        "files",
        nargs="+",
        metavar="file_or_directory",
        help='"-" reads standard input (needs --object-name)',
    )
    _flag(parser, "-c", "--changed", dest="changed", help="only files whose size or mtime changed")
    _flag(
        parser,
        "--skip-identical",
        dest="skip_identical",
        help="skip files identical on both sides (MD5)",
    )
    _flag(
        parser,
        "--skip-container-put",
        dest="skip_container_put",
        help="assume the containers exist",
    )
    parser.add_argument(
        "-S",
        "--segment-size",
        dest="segment_size",
        type=cli_utils.parse_size,
        metavar="SIZE",
        help="segment files larger than SIZE (e.g. 64M, 1G)",
    )
    parser.add_argument(
        "-C",
        "--segment-container",
        dest="segment_container",
        help="where segments go (default <container>_segments)",
    )
    _flag(
        parser,
        "--leave-segments",
        dest="leave_segments",
        help="keep the old segments of overwritten large objects",
    )
    parser.add_argument(
        "--use-slo",
        action="store_true",
        dest="use_slo",
        default=None,
        help="segmented uploads as Static Large Objects (the default)",
    )
    parser.add_argument(
        "--use-dlo",
        action="store_false",
        dest="use_slo",
        default=None,
        help="segmented uploads as Dynamic Large Objects",
    )
    parser.add_argument(
        "--object-name", dest="object_name", help="the object's name (or prefix, for a directory)"
    )
    parser.add_argument(
        "--ignore-checksum",
        action="store_false",
        dest="checksum",
        default=None,
        help="do not verify checksums",
    )
    _flag(parser, "--ignore-mtime", dest="ignore_mtime", help="do not store the files' mtime")
    _flag(
        parser,
        "--batch",
        dest="batch",
        help="send small files in bulk (tar archives) when the cluster allows",
    )
    _meta(parser)
    _header(parser)


def add_download(parser: argparse.ArgumentParser) -> None:
    """``download [container [object ...]]``"""
    parser.add_argument("container", nargs="?")
    parser.add_argument("objects", nargs="*")
    _flag(parser, "-a", "--all", dest="yes_all", help="download the whole account")
    parser.add_argument("-m", "--marker", help="start after this name")
    parser.add_argument("-p", "--prefix", help="only objects starting with this")
    parser.add_argument(
        "-o", "--output", dest="out_file", help='write the one object here ("-": standard output)'
    )
    parser.add_argument(
        "-D", "--output-dir", dest="out_directory", help="write objects under this directory"
    )
    _flag(
        parser,
        "-r",
        "--remove-prefix",
        dest="remove_prefix",
        help="with --prefix: local names without it",
    )
    _flag(parser, "--no-download", dest="no_download", help="do everything but write")
    _flag(
        parser,
        "--skip-identical",
        dest="skip_identical",
        help="skip objects identical to the local file",
    )
    parser.add_argument("--version-id", dest="version_id", help="a version of the object")
    _flag(parser, "--versions", dest="versions", help="every version")
    parser.add_argument(
        "--ignore-checksum",
        action="store_false",
        dest="checksum",
        default=None,
        help="do not verify checksums",
    )
    parser.add_argument(
        "--no-shuffle",
        action="store_false",
        dest="shuffle",
        default=None,
        help="download in listing order",
    )
    parser.add_argument(
        "--shuffle",
        action="store_true",
        dest="shuffle",
        default=None,
        help="download in random order",
    )
    _flag(parser, "--ignore-mtime", dest="ignore_mtime", help="do not restore mtimes")
    _header(parser, "a request header such as Range")


def add_delete(parser: argparse.ArgumentParser) -> None:
    """``delete [container [object ...]]``"""
    parser.add_argument("container", nargs="?")
    parser.add_argument("objects", nargs="*")
    _flag(parser, "-a", "--all", dest="yes_all", help="delete everything in the account")
    parser.add_argument("-p", "--prefix", help="only objects starting with this")
    _flag(parser, "--versions", dest="versions", help="every version")
    parser.add_argument("--version-id", dest="version_id", help="a version of the object")
    _flag(
        parser, "--leave-segments", dest="leave_segments", help="keep the segments of large objects"
    )
    _header(parser)


def add_post(parser: argparse.ArgumentParser) -> None:
    """``post [container [object ...]]``"""
    parser.add_argument("container", nargs="?")
    parser.add_argument("objects", nargs="*")
    parser.add_argument("-r", "--read-acl", dest="read_acl", help="container read ACL")
    parser.add_argument("-w", "--write-acl", dest="write_acl", help="container write ACL")
    parser.add_argument("-t", "--sync-to", dest="sync_to", help="container sync destination")
    parser.add_argument("-k", "--sync-key", dest="sync_key", help="container sync key")
    _meta(parser)
    _header(parser)


def add_copy(parser: argparse.ArgumentParser) -> None:
    """``copy container object [...]``"""
    parser.add_argument("container")
    parser.add_argument("objects", nargs="+")
    parser.add_argument(
        "-d",
        "--destination",
        dest="destination",
        help="/container or /container/object (default: the object itself)",
    )
    _flag(
        parser,
        "-M",
        "--fresh-metadata",
        dest="fresh_metadata",
        help="copy without the existing metadata",
    )
    _meta(parser)
    _header(parser)


def add_capabilities(parser: argparse.ArgumentParser) -> None:
    """``capabilities [proxy_url]`` (alias ``info``)"""
    parser.add_argument("url", nargs="?", help="a proxy URL (no authentication then)")
    parser.add_argument(
        "--json",
        action="store_true",
        dest="json",
        default=argparse.SUPPRESS,
        help="the capabilities as one JSON document, as swift capabilities --json prints them",
    )


def add_tempurl(parser: argparse.ArgumentParser) -> None:
    """``tempurl method time path [key]``, with notes on them below the help."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = """path:  /v1/AUTH_account/container/object, a full URL, or container/object
       (resolved against your storage URL, which needs credentials)
time:  seconds from now (3600, 90s, 10m, 2h, 7d), a Unix time with --absolute,
       or an ISO 8601 time (2030-01-31T12:00:00Z is UTC, without Z local time)
key:   the account's or container's Temp-URL-Key; when not given, read from
       the container's metadata, then the account's (needs credentials)
"""
    parser.add_argument("method", help="the HTTP method it allows, usually GET or PUT")
    parser.add_argument("time", help="when it expires (see below)")
    parser.add_argument("path", help="the object (see below)")
    parser.add_argument("temp_url_key", nargs="?", metavar="key", help="the signing key")
    parser.add_argument(
        "--absolute",
        action="store_true",
        dest="absolute_expiry",
        help="time is a Unix timestamp, not seconds from now",
    )
    parser.add_argument(
        "--prefix-based",
        action="store_true",
        dest="prefix_based",
        help="path ends with an object-name prefix: the URL opens every object under it",
    )
    parser.add_argument(
        "--iso8601",
        action="store_true",
        help="write the expiry as an ISO 8601 UTC time rather than a Unix time",
    )
    parser.add_argument(
        "--ip-range", dest="ip_range", help="only clients from this address or CIDR network"
    )
    parser.add_argument(
        "--digest",
        choices=("sha1", "sha256", "sha512"),
        default="sha256",
        help="signature digest (default sha256; older clusters may need sha1)",
    )


def add_bash_completion(parser: argparse.ArgumentParser) -> None:
    """``bash_completion [subcommand]``"""
    parser.add_argument("subcommand", nargs="?")

"""swiftsvc.tempurl: the URLs it signs, and that the real Swift honours them.

The local proxy runs Swift's tempurl middleware: a fresh URL opens its
object (or, prefix-based, the objects under its prefix) without a token,
while an expired, tampered, out-of-range or out-of-prefix one gets 401.
python-swiftclient's generate_temp_url is the reference for the format.
"""

from __future__ import annotations

import calendar
import datetime
import io
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from swiftclient.utils import generate_temp_url as swiftclient_generate_temp_url

import swiftsvc.tempurl
from swiftsvc import Service, SwiftError, UploadObject
from swiftsvc.tempurl import expiry_timestamp, generate_temp_url, temp_url_for, temp_url_keys
from swiftsvc.testing import LocalSwift

KEY = "s3cr3t-key"
PATH = "/v1/AUTH_test/photos/2024/cat.jpg"
LATER = 2_000_000_000  # 2033: an absolute expiry that makes URLs comparable


def test_the_module_surface_is_pinned() -> None:
    assert sorted(swiftsvc.tempurl.__all__) == [
        "DIGESTS", "KEY_HEADERS", "expiry_timestamp", "generate_temp_url", "temp_url_for",
        "temp_url_keys",
    ]  # fmt: skip


@pytest.mark.parametrize("digest", ["sha1", "sha256", "sha512"])
@pytest.mark.parametrize(
    ("path", "flags"),
    [
        (PATH, {}),
        (PATH, {"iso8601": True}),
        (PATH, {"ip_range": "127.0.0.0/8"}),
        ("/v1/AUTH_test/photos/2024/", {"prefix": True}),
        ("/v1/AUTH_test/photos/", {"prefix": True, "iso8601": True, "ip_range": "10.1.2.3"}),
    ],
)
def test_same_url_as_swiftclient(path: str, flags: dict[str, object], digest: str) -> None:
    for method in ("GET", "put"):
        ours = generate_temp_url(
            path, LATER, KEY, method, absolute=True, digest=digest, **flags  # type: ignore[arg-type]
        )
        theirs = swiftclient_generate_temp_url(
            path, LATER, KEY, method, absolute=True, digest=digest, **flags
        )
        assert ours == theirs


def test_sha256_is_the_default_and_the_signature_covers_method_expiry_and_path() -> None:
    url = generate_temp_url(PATH, LATER, KEY, "GET", absolute=True)
    query = parse_qs(urlsplit(url).query)
    assert len(query["temp_url_sig"][0]) == 64  # hex SHA-256
    assert query["temp_url_expires"] == [str(LATER)]
    others = {
        generate_temp_url(PATH, LATER, KEY, "PUT", absolute=True),
        generate_temp_url(PATH, LATER + 1, KEY, "GET", absolute=True),
        generate_temp_url(PATH + "x", LATER, KEY, "GET", absolute=True),
        generate_temp_url(PATH, LATER, KEY + "x", "GET", absolute=True),
    }
    signatures = {parse_qs(urlsplit(u).query)["temp_url_sig"][0] for u in others}
    assert query["temp_url_sig"][0] not in signatures and len(signatures) == 4


def test_a_full_url_in_gives_a_full_url_out() -> None:
    url = generate_temp_url("https://swift.example.com:8443" + PATH, LATER, KEY, "GET",
                            absolute=True)  # fmt: skip
    path_only = generate_temp_url(PATH, LATER, KEY, "GET", absolute=True)
    assert url == "https://swift.example.com:8443" + path_only


def test_names_are_signed_decoded_and_sent_encoded() -> None:
    raw = generate_temp_url("/v1/AUTH_test/c/a b&c", LATER, KEY, "GET", absolute=True)
    encoded = generate_temp_url("/v1/AUTH_test/c/a%20b%26c", LATER, KEY, "GET", absolute=True)
    assert raw == encoded
    assert raw.startswith("/v1/AUTH_test/c/a%20b%26c?")


def test_expiry_forms() -> None:
    now = 1_700_000_000.0

    def clock() -> float:
        return now

    assert expiry_timestamp(3600, now=clock) == 1_700_003_600
    assert expiry_timestamp("3600", now=clock) == 1_700_003_600
    assert expiry_timestamp("90s", now=clock) == 1_700_000_090
    assert expiry_timestamp("10m", now=clock) == expiry_timestamp("10min", now=clock)
    assert expiry_timestamp("2h", now=clock) == expiry_timestamp("2hr", now=clock) == now + 7200
    assert expiry_timestamp("1d", now=clock) == now + 86400
    assert expiry_timestamp("1700000123", absolute=True, now=clock) == 1_700_000_123
    utc = calendar.timegm((2030, 1, 31, 12, 0, 0))
    assert expiry_timestamp("2030-01-31T12:00:00Z", now=clock) == utc
    local = int(time.mktime((2030, 1, 31, 12, 0, 0, 0, 0, -1)))
    assert expiry_timestamp("2030-01-31T12:00:00", now=clock) == local
    aware = datetime.datetime(2030, 1, 31, 12, tzinfo=datetime.UTC)
    assert expiry_timestamp(aware) == utc


def test_iso8601_output_is_utc() -> None:
    url = generate_temp_url(PATH, "2030-01-31T12:00:00Z", KEY, "GET", iso8601=True)
    assert parse_qs(urlsplit(url).query)["temp_url_expires"] == ["2030-01-31T12:00:00Z"]


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"path": "/v1/AUTH_test/c"}, "/v1/AUTH_test/c"),
        ({"path": "/v1/AUTH_test/c/"}, "full path"),
        ({"path": "/v1/AUTH_test/c", "prefix": True}, "prefix-based"),
        ({"path": "/v1/AUTH_test/c/o?x=1"}, "query"),
        ({"seconds": "soon"}, "'soon'"),
        ({"seconds": -5}, "negative"),
        ({"seconds": "60s", "absolute": True}, "'60s'"),
        ({"key": ""}, "key"),
        ({"digest": "md5"}, "'md5'"),
        ({"method": "GET /x"}, "method"),
        ({"ip_range": "10.0.0.0/33"}, "10.0.0.0/33"),
    ],
)
def test_bad_arguments_are_refused_by_name(arguments: dict[str, object], named: str) -> None:
    call: dict[str, object] = {"path": PATH, "seconds": 60, "key": KEY, "method": "GET"}
    call.update(arguments)
    with pytest.raises(ValueError, match=named.replace("?", r"\?")):
        generate_temp_url(**call)  # type: ignore[arg-type]


# ------------------------------------------------------ on the real Swift


@pytest.fixture
def svc(swift_options: dict[str, str], container_name: str) -> Iterator[Service]:
    with Service(swift_options) as service:
        objects = [
            UploadObject(_stream(b"tabby"), object_name="cats/tabby.txt"),
            UploadObject(_stream(b"siamese"), object_name="cats/siamese.txt"),
            UploadObject(_stream(b"rex"), object_name="dogs/rex.txt"),
        ]
        results = list(service.upload(container_name, objects))
        assert all(r["success"] for r in results), [r.get("error") for r in results]
        yield service
        for _ in service.delete(container_name):
            pass


def _stream(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)


def _set_container_key(svc: Service, container: str, key: str) -> None:
    result = svc.post(container, options={"meta": [f"Temp-URL-Key:{key}"]})
    assert isinstance(result, dict) and result["success"], result


def _get(url: str) -> requests.Response:
    return requests.get(url, timeout=30)


def test_a_fresh_url_opens_the_object_without_a_token(svc: Service, container_name: str) -> None:
    _set_container_key(svc, container_name, KEY)
    url = temp_url_for(svc, "GET", container_name, "cats/tabby.txt", 60)
    answer = _get(url)
    assert answer.status_code == 200 and answer.content == b"tabby"
    for digest in ("sha1", "sha512"):
        other = temp_url_for(svc, "GET", container_name, "cats/tabby.txt", "1m", digest=digest)
        assert _get(other).status_code == 200, digest
    iso = temp_url_for(svc, "GET", container_name, "cats/tabby.txt", 120, iso8601=True)
    assert "temp_url_expires=20" in iso and _get(iso).status_code == 200
    # signed for GET only
    assert requests.delete(url, timeout=30).status_code == 401


def test_expired_and_tampered_urls_get_401(svc: Service, container_name: str) -> None:
    _set_container_key(svc, container_name, KEY)
    expired = temp_url_for(svc, "GET", container_name, "cats/tabby.txt",
                           int(time.time()) - 5, absolute=True)  # fmt: skip
    assert _get(expired).status_code == 401
    good = temp_url_for(svc, "GET", container_name, "cats/tabby.txt", 60)
    assert _get(good).status_code == 200
    signature = parse_qs(urlsplit(good).query)["temp_url_sig"][0]
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    assert _get(good.replace(signature, flipped)).status_code == 401
    other_object = good.replace("cats/tabby.txt", "cats/siamese.txt")
    assert _get(other_object).status_code == 401
    wrong_key = temp_url_for(svc, "GET", container_name, "cats/tabby.txt", 60, key="not-it")
    assert _get(wrong_key).status_code == 401


def test_a_prefix_based_url_opens_objects_under_the_prefix_only(
    svc: Service, container_name: str
) -> None:
    _set_container_key(svc, container_name, KEY)
    url = temp_url_for(svc, "GET", container_name, "cats/", 60, prefix=True)
    query = urlsplit(url).query

    def under(name: str) -> requests.Response:
        return _get(svc.get_endpoint("object", container_name, name, full=True) + "?" + query)

    assert under("cats/tabby.txt").content == b"tabby"
    assert under("cats/siamese.txt").content == b"siamese"
    assert under("dogs/rex.txt").status_code == 401


def test_ip_range_and_put(svc: Service, container_name: str) -> None:
    _set_container_key(svc, container_name, KEY)
    here = temp_url_for(svc, "GET", container_name, "dogs/rex.txt", 60, ip_range="127.0.0.0/8")
    assert _get(here).status_code == 200
    elsewhere = temp_url_for(svc, "GET", container_name, "dogs/rex.txt", 60,
                             ip_range="203.0.113.0/24")  # fmt: skip
    assert _get(elsewhere).status_code == 401
    put = temp_url_for(svc, "PUT", container_name, "dogs/fido.txt", 60)
    assert requests.put(put, data=b"fido", timeout=30).status_code == 201
    assert _get(temp_url_for(svc, "GET", container_name, "dogs/fido.txt", 60)).content == b"fido"


def test_keys_come_from_container_then_account_metadata(
    svc: Service, container_name: str
) -> None:
    assert temp_url_keys(svc, container_name) == []
    with pytest.raises(SwiftError, match="no temporary URL key"):
        temp_url_for(svc, "GET", container_name, "cats/tabby.txt", 60)
    account = svc.post(options={"meta": ["Temp-URL-Key-2:account-two"]})
    assert isinstance(account, dict) and account["success"], account
    try:
        assert temp_url_keys(svc, container_name) == ["account-two"]
        url = temp_url_for(svc, "GET", container_name, "cats/tabby.txt", 60)
        assert _get(url).content == b"tabby"  # signed with the account's second key
        _set_container_key(svc, container_name, "container-one")
        assert temp_url_keys(svc, container_name) == ["container-one", "account-two"]
        assert temp_url_keys(svc) == ["account-two"]
        url = temp_url_for(svc, "GET", container_name, "cats/tabby.txt", 60)
        assert _get(url).content == b"tabby"
    finally:
        svc.post(options={"meta": ["Temp-URL-Key-2:"]})  # an empty value removes it
    assert temp_url_keys(svc) == []


def test_the_swift_command_agrees(local_swift: LocalSwift) -> None:
    """A URL of swiftsvc's is byte for byte what ``swift tempurl`` prints."""
    swift = Path(sys.executable).parent / "swift"
    url = f"{local_swift.proxy_url}{PATH}"
    for flags in ([], ["--iso8601"], ["--prefix-based"], ["--digest", "sha512"]):
        theirs = subprocess.run(
            [str(swift), "tempurl", "--absolute", *flags, "GET", str(LATER), url, KEY],
            capture_output=True, text=True, timeout=60, check=True,
        ).stdout.strip()  # fmt: skip
        ours = generate_temp_url(
            url, LATER, KEY, "GET", absolute=True, iso8601="--iso8601" in flags,
            prefix="--prefix-based" in flags,
            digest="sha512" if "sha512" in flags else "sha256",
        )  # fmt: skip
        assert ours == theirs, flags

"""Where a `/verify` URI points, and fetching the remote ones (no Django import: limits come as arguments).

A URI is, in this order: the filename of a file uploaded with the request; an `http(s)` URL whose host is
allowlisted (`VERIFY_ALLOWED_URL_HOSTS`); or a path that must stay inside the media root
(`VERIFY_MEDIA_ROOT`): relative paths are taken from it, absolute paths must lie in it, `..` is refused
and symbolic links are followed before the check. Anything else (other schemes, user info in URLs,
hosts not listed) is refused with a message the API returns as a 400.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path, PurePosixPath
from urllib.parse import urljoin, urlsplit

import requests

__all__ = ["FetchFailed", "Location", "LocationKind", "UriRefused", "fetch", "host_allowed", "locate"]

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
MAX_URI_LENGTH = 2048
MAX_REDIRECTS = 3
CHUNK = 1024 * 1024


class UriRefused(ValueError):
    """The URI may not be used (wrong scheme, host not allowlisted, path outside the media root)."""


class FetchFailed(RuntimeError):
    """A remote file could not be downloaded within the limits."""


class LocationKind(StrEnum):
    UPLOAD = "upload"
    PATH = "path"
    URL = "url"


@dataclass(frozen=True)
class Location:
    """`target` is the storage name (upload), the absolute file path (path) or the URL (url)."""

    kind: LocationKind
    target: str

    def as_dict(self) -> dict:
        return {"kind": str(self.kind), "target": self.target}

    @classmethod
    def from_dict(cls, data: Mapping) -> Location:
        return cls(LocationKind(data["kind"]), data["target"])


def host_allowed(url: str, allowed_hosts: Collection[str]) -> bool:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    netloc = parts.netloc.lower()
    return bool(host) and (host in allowed_hosts or netloc in allowed_hosts)


def locate(uri: str, *, uploads: Mapping[str, str], media_root: Path, allowed_hosts: Collection[str]) -> Location:
    """Resolve one URI as sent; raises `UriRefused` with the reason."""
    if not uri or "\x00" in uri or len(uri) > MAX_URI_LENGTH:
        raise UriRefused("must be a file name, a path under the media folder or an allowed http(s) URL")
    if uri in uploads:
        return Location(LocationKind.UPLOAD, uploads[uri])
    if _SCHEME.match(uri) and not re.match(r"^[A-Za-z]:[\\/]", uri):
        return _locate_url(uri, allowed_hosts)
    return _locate_path(uri, media_root)


def _locate_url(uri: str, allowed_hosts: Collection[str]) -> Location:
    parts = urlsplit(uri)
    if parts.scheme.lower() not in ("http", "https"):
        raise UriRefused(f"the scheme {parts.scheme!r} is not allowed (only uploads, media paths and http(s))")
    if parts.username or parts.password:
        raise UriRefused("URLs with user information are refused")
    if not host_allowed(uri, allowed_hosts):
        raise UriRefused(f"downloads from {parts.hostname or '(no host)'!r} are not allowed (VERIFY_ALLOWED_URL_HOSTS)")
    return Location(LocationKind.URL, uri)


def _locate_path(uri: str, media_root: Path) -> Location:
    if ".." in PurePosixPath(uri.replace("\\", "/")).parts:
        raise UriRefused("paths may not contain '..'")
    root = os.path.realpath(media_root)
    candidate = uri if os.path.isabs(uri) else os.path.join(root, uri)
    resolved = os.path.realpath(candidate)
    if os.path.commonpath([root, resolved]) != root or resolved == root:
        raise UriRefused("paths must lie inside the verification media folder (VERIFY_MEDIA_ROOT)")
    return Location(LocationKind.PATH, resolved)


def fetch(url: str, destination: Path, *, allowed_hosts: Collection[str], max_bytes: int, timeout: float) -> int:
    """Download `url` to `destination`, following at most 3 redirects, each to an allowlisted host.

    Refuses bodies over `max_bytes` (declared or streamed) and downloads taking longer than `timeout`
    seconds in total; returns the byte count. A partial file is removed on failure.
    """
    deadline = time.monotonic() + timeout
    try:
        for _ in range(MAX_REDIRECTS + 1):
            if not host_allowed(url, allowed_hosts) or urlsplit(url).scheme.lower() not in ("http", "https"):
                raise FetchFailed(f"redirected to a host that is not allowed: {urlsplit(url).hostname!r}")
            remaining = max(deadline - time.monotonic(), 0.1)
            with requests.get(url, stream=True, allow_redirects=False, timeout=(min(remaining, 10), remaining)) as r:
                if r.is_redirect and r.headers.get("location"):
                    url = urljoin(url, r.headers["location"])
                    continue
                if r.status_code != 200:
                    raise FetchFailed(f"the server answered {r.status_code}")
                declared = r.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > max_bytes:
                    raise FetchFailed(f"the file is larger than {max_bytes} bytes")
                return _stream_to(r, destination, max_bytes=max_bytes, deadline=deadline, timeout=timeout)
        raise FetchFailed("too many redirects")
    except requests.RequestException as exc:
        destination.unlink(missing_ok=True)
        raise FetchFailed(f"download failed: {type(exc).__name__}") from exc
    except FetchFailed:
        destination.unlink(missing_ok=True)
        raise


def _stream_to(response, destination: Path, *, max_bytes: int, deadline: float, timeout: float) -> int:
    size = 0
    with open(destination, "wb") as out:
        for chunk in response.iter_content(CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise FetchFailed(f"the file is larger than {max_bytes} bytes")
            if time.monotonic() > deadline:
                raise FetchFailed(f"the download took longer than {timeout:g} s")
            out.write(chunk)
    return size

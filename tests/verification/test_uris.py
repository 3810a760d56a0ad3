"""URI resolution and downloads: a loopback HTTP server stands in for an allowlisted host (no network)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from verification import uris

pytestmark = pytest.mark.usefixtures("verification_settings")


@pytest.fixture(scope="module")
def http_host(clip_root):
    """127.0.0.1:<port> serving /source.mp4, /90p.mp4, /big (2 MB), /redirect-away, /redirect-home, /missing."""
    stream = clip_root / "stream"

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            routes = {
                "/source.mp4": (stream / "source.mp4").read_bytes(),
                "/90p.mp4": (stream / "90p.mp4").read_bytes(),
                "/big": b"0" * 2_000_000,
            }
            if self.path == "/redirect-away":
                self.send_response(302)
                self.send_header("Location", "http://elsewhere.example/x.mp4")
                self.end_headers()
            elif self.path == "/redirect-home":
                self.send_response(302)
                self.send_header("Location", "/90p.mp4")
                self.end_headers()
            elif self.path in routes:
                body = routes[self.path]
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                self.send_error(404)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_locate_prefers_uploads_then_urls_then_paths(tmp_path):
    root = tmp_path / "media"
    (root / "a").mkdir(parents=True)
    located = uris.locate("a/x.mp4", uploads={"x.mp4": "stored"}, media_root=root, allowed_hosts=[])
    assert located == uris.Location(uris.LocationKind.PATH, str((root / "a" / "x.mp4").resolve()))
    assert uris.locate("x.mp4", uploads={"x.mp4": "stored"}, media_root=root, allowed_hosts=[]).kind == "upload"
    url = uris.locate("https://cdn.example/v.mp4", uploads={}, media_root=root, allowed_hosts=["cdn.example"])
    assert url.kind == "url"


@pytest.mark.parametrize(
    "uri",
    ["../x.mp4", "a/../../x.mp4", "/etc/passwd", "file:///etc/passwd", "http://user:pw@cdn.example/x", "", "a\x00b"],
)
def test_locate_refuses(tmp_path, uri):
    with pytest.raises(uris.UriRefused):
        uris.locate(uri, uploads={}, media_root=tmp_path, allowed_hosts=["cdn.example"])


def test_symlink_out_of_the_media_root_is_refused(tmp_path):
    root = tmp_path / "media"
    root.mkdir()
    (tmp_path / "secret.mp4").write_bytes(b"x")
    (root / "link.mp4").symlink_to(tmp_path / "secret.mp4")
    with pytest.raises(uris.UriRefused):
        uris.locate("link.mp4", uploads={}, media_root=root, allowed_hosts=[])


def test_fetch_limits(http_host, tmp_path):
    base = f"http://{http_host}"
    out = tmp_path / "f"
    assert uris.fetch(f"{base}/90p.mp4", out, allowed_hosts=["127.0.0.1"], max_bytes=10**7, timeout=5) > 0
    assert uris.fetch(f"{base}/redirect-home", out, allowed_hosts=["127.0.0.1"], max_bytes=10**7, timeout=5) > 0
    for path, message in [("/big", "larger than"), ("/redirect-away", "not allowed"), ("/missing", "404")]:
        with pytest.raises(uris.FetchFailed, match=message):
            uris.fetch(f"{base}{path}", out, allowed_hosts=["127.0.0.1"], max_bytes=1_000_000, timeout=5)
        assert not out.exists()


@pytest.mark.django_db(transaction=True)
def test_verify_downloads_from_an_allowlisted_host(api_client, settings, http_host):
    settings.VERIFY_ALLOWED_URL_HOSTS = [http_host]
    document = {
        "source": f"http://{http_host}/source.mp4",
        "renditions": [{"uri": f"http://{http_host}/90p.mp4"}, {"uri": f"http://{http_host}/missing.mp4"}],
        "orchestratorID": "foo",
    }
    response = api_client.post("/verify", data=json.dumps(document), content_type="application/json")
    assert response.status_code == 200, response.content
    fetched, missing = response.json()["results"]
    assert fetched["uri"] == document["renditions"][0]["uri"] and fetched["video_available"] is True
    assert missing["video_available"] is False

    document["source"] = f"http://{http_host}/missing.mp4"
    failed = api_client.post("/verify", data=json.dumps(document), content_type="application/json")
    assert failed.status_code == 400 and failed.json()["field"] == "source"

    settings.VERIFY_ALLOWED_URL_HOSTS = []
    refused = api_client.post("/verify", data=json.dumps(document), content_type="application/json")
    assert refused.status_code == 400 and refused.json()["code"] == "uri_refused"


def test_no_leftover_temp_files(tmp_path):
    assert not list(Path(tmp_path).glob("verify-*"))

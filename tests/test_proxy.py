"""deploy/nginx/buurt.conf in front of a real `buurt-server serve --forwarded-allow-ips
127.0.0.1`: the same file, its TLS lines left out (plain HTTP on a free port of 127.0.0.1),
run by the real nginx.

- the live stream's events come through at once (nothing buffered);
- two clients behind it (127.0.0.2 and 127.0.0.3) are two addresses to the server: one
  client's failed sign-ins up to the limit do not lock the other out, and a client cannot
  name another address in X-Forwarded-For;
- a client that sends its headers (or body) too slowly is cut by the proxy;
- bodies above 4 MiB and a server that does not answer are problem+json from the proxy;
- the request id nginx gives a request is the one the server logs and returns.

The full template (TLS lines and all) passes `nginx -t` with a throwaway certificate.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import DEMO_PASSWORD
from tests.pgserver import free_port
from tests.processes import start_server

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "nginx" / "buurt.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
# Short enough for a test; the template's own are 10 s and 30 s.
HEADER_TIMEOUT = 1
BODY_TIMEOUT = 1


def render(template: str, *, listen: str | None, upstream: str, **placeholders: str) -> str:
    """The template with its placeholders filled; with `listen`, as plain HTTP on that
    address: the lines marked `# tls` out, the first TLS `listen` in its place."""
    lines = []
    for line in template.splitlines():
        if listen is not None and line.rstrip().endswith("# tls"):
            if re.match(r"\s*listen 443 ", line):
                lines.append(f"    listen {listen};")
            continue
        lines.append(line)
    text = "\n".join(lines).replace("@UPSTREAM@", upstream)
    for name, value in {"SERVER_NAME": "buurt.test", **placeholders}.items():
        text = text.replace(f"@{name}@", value)
    directives = "\n".join(x for x in text.splitlines() if not x.lstrip().startswith("#"))
    assert not re.search(r"@[A-Z_]+@", directives), "a placeholder is left"
    return text


def main_config(folder: Path, site: Path) -> str:
    """An nginx.conf of the test's own: its prefix, pid, logs and temp paths in `folder`."""
    user = "user root root;\n" if os.geteuid() == 0 else ""
    temp = "".join(
        f"    {kind}_temp_path {folder / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"{user}worker_processes 1;\npid {folder / 'nginx.pid'};\n"
        f"error_log {folder / 'error.log'} info;\nevents {{ worker_connections 512; }}\n"
        f"http {{\n    access_log {folder / 'access.log'};\n{temp}    include {site};\n}}\n"
    )


@dataclass
class Proxied:
    url: str  # nginx
    server_url: str  # buurt-server itself
    server_log: Path
    nginx_folder: Path
    server: subprocess.Popen[bytes]


@pytest.fixture
def proxied(sqlite_template: Path, tmp_path: Path) -> Iterator[Proxied]:
    assert Path(NGINX).exists(), "nginx is not installed (Debian: apt-get install nginx)"
    database = tmp_path / "buurt.db"
    shutil.copy(sqlite_template, database)
    server_port, proxy_port = free_port(), free_port()
    env = {
        **os.environ,
        "BUURT_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "BUURT_LOGIN_MAX_FAILURES_PER_ADDRESS": "5",
        "BUURT_LOG_FORMAT": "json",
    }
    folder = tmp_path / "nginx"
    folder.mkdir()
    site = folder / "buurt.conf"
    text = render(
        TEMPLATE.read_text(), listen=f"127.0.0.1:{proxy_port}", upstream=f"127.0.0.1:{server_port}"
    )
    text = re.sub(r"client_header_timeout \S+;", f"client_header_timeout {HEADER_TIMEOUT}s;", text)
    text = re.sub(r"client_body_timeout \S+;", f"client_body_timeout {BODY_TIMEOUT}s;", text)
    site.write_text(text)
    conf = folder / "nginx.conf"
    conf.write_text(main_config(folder, site))
    server_log = tmp_path / "server.log"
    server = start_server(
        env, server_port, server_log, "info", "--forwarded-allow-ips", "127.0.0.1"
    )
    nginx = None
    try:
        nginx = subprocess.Popen(
            [
                NGINX,
                "-p",
                str(folder),
                "-e",
                str(folder / "error.log"),
                "-c",
                str(conf),
                "-g",
                "daemon off;",
            ],
            stdout=subprocess.DEVNULL,
            stderr=open(folder / "stderr.log", "wb"),  # noqa: SIM115
        )
        deadline = time.monotonic() + 15
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{proxy_port}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert nginx.poll() is None, (folder / "stderr.log").read_text()
            assert time.monotonic() < deadline, (folder / "error.log").read_text()
            time.sleep(0.1)
        yield Proxied(
            f"http://127.0.0.1:{proxy_port}",
            f"http://127.0.0.1:{server_port}",
            server_log,
            folder,
            server,
        )
    finally:
        if nginx is not None:
            nginx.terminate()
            nginx.wait(timeout=15)
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=15)


def from_address(address: str, base_url: str) -> httpx.Client:
    """A client whose connections come from `address` (any of 127.0.0.0/8 is this machine)."""
    return httpx.Client(
        base_url=base_url, timeout=10, transport=httpx.HTTPTransport(local_address=address)
    )


def test_the_stream_through_the_proxy_is_not_buffered(proxied: Proxied) -> None:
    with httpx.Client(base_url=proxied.url, timeout=10) as http:
        signed = http.post(
            "/v1/auth/token", json={"email": "admin@mechelen.demo", "password": DEMO_PASSWORD}
        )
        headers = {"Authorization": f"Bearer {signed.json()['access_token']}"}
        hood = http.get("/v1/neighbourhoods", headers=headers).json()["items"][0]["id"]
        arrivals: list[float] = []
        opened = threading.Event()

        def read() -> None:
            with (
                httpx.Client(base_url=proxied.url, timeout=30) as reader,
                reader.stream("GET", "/v1/stream", headers=headers) as stream,
            ):
                assert stream.status_code == 200
                assert stream.headers["content-type"].startswith("text/event-stream")
                for line in stream.iter_lines():
                    if line.startswith("retry:"):
                        opened.set()
                    if line == "event: stats.delta":
                        arrivals.append(time.monotonic())
                        if len(arrivals) == 3:
                            return

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        assert opened.wait(10), "the stream did not open through the proxy"
        latencies = []
        for i in range(3):
            now = dt.datetime.now(dt.UTC).isoformat()
            sent = time.monotonic()
            posted = http.post(
                "/v1/events",
                headers=headers,
                json={
                    "events": [
                        {
                            "id": f"px-{i}",
                            "type": "post",
                            "topic": "events",
                            "household": f"h{i}",
                            "neighbourhood_id": hood,
                            "at": now,
                        }
                    ]
                },
            )
            assert posted.status_code == 200 and posted.json()["accepted"] == 1
            deadline = time.monotonic() + 5
            while len(arrivals) <= i and time.monotonic() < deadline:
                time.sleep(0.005)
            assert len(arrivals) > i, "an event did not come through the proxy"
            latencies.append(arrivals[i] - sent)
        reader.join(timeout=5)
    print(
        f"\nstream through nginx: write -> event {', '.join(f'{x * 1000:.0f}' for x in latencies)} ms"
    )
    assert max(latencies) < 1.0


def test_each_client_behind_the_proxy_has_its_own_sign_in_limit(proxied: Proxied) -> None:
    with (
        from_address("127.0.0.2", proxied.url) as first,
        from_address("127.0.0.3", proxied.url) as second,
    ):
        statuses = []
        for i in range(6):
            # Another account each time: only the address's limit (5 here) can be reached.
            # The client also claims to be someone else: the proxy replaces that.
            tried = first.post(
                "/v1/auth/token",
                headers={"X-Forwarded-For": f"198.51.100.{i}"},
                json={"email": f"nobody{i}@mechelen.demo", "password": "wrong"},
            )
            statuses.append(tried.status_code)
        assert statuses == [401] * 5 + [429], statuses
        assert (
            first.post(
                "/v1/auth/token", json={"email": "officer@mechelen.demo", "password": DEMO_PASSWORD}
            ).status_code
            == 429
        )
        # The other client is not locked out by the first one's failures.
        wrong = second.post(
            "/v1/auth/token", json={"email": "nobody@mechelen.demo", "password": "wrong"}
        )
        assert wrong.status_code == 401
        right = second.post(
            "/v1/auth/token", json={"email": "officer@mechelen.demo", "password": DEMO_PASSWORD}
        )
        assert right.status_code == 200
    # What the server saw: the clients' own addresses, never the proxy's or a claimed one.
    lines = [json.loads(x) for x in proxied.server_log.read_text().splitlines() if x.strip()]
    seen = {x["client"] for x in lines if x.get("path") == "/v1/auth/token"}
    assert seen == {"127.0.0.2", "127.0.0.3"}, seen
    print(
        f"\nper-client limit through nginx: 127.0.0.2 {statuses} then 429 for a right "
        f"password; 127.0.0.3 then 401 (wrong) and 200 (right); server saw {sorted(seen)}"
    )


def _slow_request(port: int, prelude: bytes, trickle: bytes) -> tuple[float, bytes]:
    """Send `prelude`, then `trickle` a byte every 0.2 s (or nothing more, when empty) until
    the proxy cuts the connection; the seconds it took and what came back."""
    started = time.monotonic()
    answer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(prelude)
        sock.settimeout(0.2)
        pending = list(trickle * 100)
        while time.monotonic() - started < 10:
            if pending:
                try:
                    sock.sendall(bytes([pending.pop(0)]))
                except OSError:
                    break
            try:
                got = sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            if not got:
                break
            answer += got
    return time.monotonic() - started, answer


def test_slow_clients_are_cut_by_the_proxy(proxied: Proxied) -> None:
    port = int(proxied.url.rsplit(":", 1)[1])
    # Headers that never end: a header line a byte at a time.
    header_cut, header_answer = _slow_request(
        port, b"GET /healthz HTTP/1.1\r\nHost: buurt.test\r\n", b"X-Slow: aaaaaaaa\r\n"
    )
    assert b"200 OK" not in header_answer
    assert HEADER_TIMEOUT <= header_cut < HEADER_TIMEOUT + 2, header_cut
    # A body announced, begun, and then stalled.
    body_cut, body_answer = _slow_request(
        port,
        b"POST /v1/auth/token HTTP/1.1\r\nHost: buurt.test\r\nContent-Type: application/json\r\n"
        b'Content-Length: 100000\r\n\r\n{"email": ',
        b"",
    )
    assert b"200 OK" not in body_answer and b"401" not in body_answer
    assert BODY_TIMEOUT <= body_cut < BODY_TIMEOUT + 2, body_cut
    # A client at a normal pace is served.
    assert httpx.get(f"{proxied.url}/healthz").status_code == 200
    log = (proxied.nginx_folder / "error.log").read_text()
    assert "client timed out" in log
    print(
        f"\nslow clients through nginx: headers a byte every 0.2 s cut after {header_cut:.2f} s "
        f"(client_header_timeout {HEADER_TIMEOUT}s); a stalled body after {body_cut:.2f} s "
        f"(client_body_timeout {BODY_TIMEOUT}s); what came back: {header_answer[:12]!r}, "
        f"{body_answer[:12]!r}"
    )


def test_large_bodies_request_ids_and_a_silent_server(proxied: Proxied) -> None:
    with httpx.Client(base_url=proxied.url, timeout=10) as http:
        large = http.post(
            "/v1/events",
            content=b"[" + b" " * (5 * 2**20) + b"]",
            headers={"Content-Type": "application/json"},
        )
        assert large.status_code == 413
        assert large.headers["content-type"].startswith("application/problem+json")
        assert large.json()["type"] == "/problems/payload-too-large"
        # nginx names the request; the server believes it (the peer is trusted) and logs it.
        ready = http.get("/v1/me")
        request_id = ready.headers["x-request-id"]
        assert re.fullmatch(r"[0-9a-f]{32}", request_id)
        assert ready.headers.get("x-request-id") != http.get("/v1/me").headers["x-request-id"]
        proxied.server.terminate()
        proxied.server.wait(timeout=15)
        assert f'"request_id": "{request_id}"' in proxied.server_log.read_text()
        down = http.get("/v1/me")
        assert down.status_code == 503 and down.headers["retry-after"] == "5"
        assert down.json()["type"] == "/problems/service-unavailable"


def test_the_whole_template_with_tls_passes_nginx_t(tmp_path: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "buurt.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    site = tmp_path / "buurt.conf"
    site.write_text(
        render(
            TEMPLATE.read_text(),
            listen=None,
            upstream="127.0.0.1:8000",
            TLS_CERTIFICATE=str(tmp_path / "cert.pem"),
            TLS_CERTIFICATE_KEY=str(tmp_path / "key.pem"),
        )
    )
    conf = tmp_path / "nginx.conf"
    conf.write_text(main_config(tmp_path, site))
    checked = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(conf)],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr

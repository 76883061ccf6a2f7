#!/usr/bin/env python
"""make prod-smoke: the production layout of deploy/ brought up on this machine, then used.

PostgreSQL (a fresh database ``shegong_prodsmoke``, dropped afterwards) and Redis (db 9, flushed
before and after), DEBUG off with secrets generated for the run, ``migrate``, ``collectstatic``,
``seed_demo --people 300``; gunicorn with deploy/gunicorn.conf.py (2 workers, metrics in
multiprocess mode) and two Huey consumers through deploy/run-worker.sh (1 schedules the periodic
jobs, 2 runs with --no-periodic). Then, over HTTP with a real session: log in, search people,
bind a device, raise an alarm with a signed vendor request, acknowledge it, export a list and
open the .xlsx, and check /healthz, /metrics, the JSON logs and the https redirect.

When nginx is installed (the default on CI) it runs in front, as in production: the real
deploy/nginx/shegong.conf and shegong_proxy_params, with only ports, paths and server_name
changed, on two free ports of 127.0.0.1 with a certificate made for the run. Requests then go
over https to nginx, which sets X-Forwarded-Proto/-For and X-Request-ID itself; the smoke also
checks nginx's own parts (http → https, /static/ served without gunicorn, /metrics closed to other
addresses, its request id in shegong's log). Without nginx (or with --direct) requests go to
gunicorn and carry ``X-Forwarded-Proto: https`` by hand as nginx would, so the production
security settings — https redirect, secure cookies, HSTS, strict CSRF checks — still stay on.

Everything started is stopped on exit, failure or Ctrl-C. Exit status 1 with the failed step's
message on stderr; logs stay in the printed directory.

    .venv/bin/python deploy/prod_smoke.py [--port 8766] [--direct] [--keep-logs]
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import http.cookiejar
import io
import ipaddress
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
PG_ADMIN_URL = os.environ.get("SHEGONG_SMOKE_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
DB_NAME = "shegong_prodsmoke"
REDIS_URL = os.environ.get("SHEGONG_SMOKE_REDIS", "redis://127.0.0.1:6379/9")
ACCOUNT = "demo-center"  # district-wide social worker: no TOTP needed (district admins need it)
PASSWORD = os.environ.get("SHEGONG_DEMO_PASSWORD", "shegong-demo")
started_at = time.monotonic()


class SmokeFailure(Exception):
    pass


def step(message: str) -> None:
    print(f"[{time.monotonic() - started_at:6.1f}s] {message}", flush=True)


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SmokeFailure(message)


# ---- the database and Redis of the run --------------------------------------------------------


def pg_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def recreate_database(*, drop_only: bool = False) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).flushdb()


# ---- processes ---------------------------------------------------------------------------------


class Processes:
    def __init__(self, logs: Path, env: dict[str, str]):
        self.logs, self.env, self.running = logs, env, []

    def manage(self, *args: str, timeout: int = 900) -> str:
        name = args[0]
        with (self.logs / f"{name}.log").open("a") as log:
            done = subprocess.run(  # noqa: S603 - manage.py of this checkout
                [PYTHON, "manage.py", *args],
                cwd=ROOT,
                env=self.env,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                timeout=timeout,
            )
        if done.returncode != 0:
            tail = (self.logs / f"{name}.log").read_text()[-2000:]
            raise SmokeFailure(f"manage.py {' '.join(args)} failed ({done.returncode}):\n{tail}")
        return done.stdout

    def start(self, name: str, cmd: list[str], extra_env: dict | None = None):
        log = (self.logs / f"{name}.log").open("w")
        process = subprocess.Popen(  # noqa: S603 - deploy/ scripts of this checkout
            cmd,
            cwd=ROOT,
            env={**self.env, **(extra_env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped with all its children
        )
        self.running.append((name, process))
        return process

    def stop_all(self) -> None:
        for name, process in reversed(self.running):
            if process.poll() is not None:
                continue
            # Huey stops gracefully on SIGINT, gunicorn on SIGTERM.
            sig = signal.SIGINT if name.startswith("worker") else signal.SIGTERM
            try:
                os.killpg(process.pid, sig)
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
            except ProcessLookupError:
                pass
        self.running.clear()

    def check_alive(self) -> None:
        for name, process in self.running:
            if process.poll() is not None:
                tail = (self.logs / f"{name}.log").read_text()[-2000:]
                raise SmokeFailure(f"{name} exited with {process.returncode}:\n{tail}")


# ---- an HTTP client that behaves like a browser behind nginx -----------------------------------


class ProxiedHttpsCookies(http.cookiejar.DefaultCookiePolicy):
    """Send Secure cookies over the plain-http hop, as a browser does over nginx's https."""

    def return_ok_secure(self, cookie, request):
        return True


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Response:
    def __init__(self, status: int, headers, body: bytes):
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body)


class Browser:
    """A session on ``https_base``; ``https=False`` requests go to ``plain_base`` instead.

    Through nginx the two are its https and http ports. Straight to gunicorn (``stand_in``) both
    are gunicorn's plain http, and the client adds ``X-Forwarded-Proto: https`` itself where
    nginx would, and sends Secure cookies over that hop.
    """

    def __init__(
        self,
        https_base: str,
        plain_base: str | None = None,
        *,
        context: ssl.SSLContext | None = None,
        stand_in: bool = False,
    ):
        self.https_base, self.plain_base = https_base, plain_base or https_base
        self.stand_in, self.context = stand_in, context
        policy = ProxiedHttpsCookies() if stand_in else http.cookiejar.DefaultCookiePolicy()
        self.jar = http.cookiejar.CookieJar(policy=policy)
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar),
            urllib.request.HTTPSHandler(context=context),
            NoRedirects(),
        )
        self.https_origin = "https://" + urllib.parse.urlsplit(https_base).netloc

    def cookie(self, name: str) -> str:
        return next((c.value for c in self.jar if c.name == name), "")

    def request(
        self,
        method: str,
        path: str,
        *,
        data: bytes | None = None,
        headers: dict | None = None,
        https: bool = True,
    ) -> Response:
        all_headers = {"Accept-Language": "zh-CN"}
        if https and self.stand_in:
            all_headers["X-Forwarded-Proto"] = "https"
        if method != "GET":
            # What a browser sends on https: Django's CSRF check compares these with the host.
            all_headers.update(Origin=self.https_origin, Referer=self.https_origin + path)
            all_headers["X-CSRFToken"] = self.cookie("csrftoken")
        all_headers.update(headers or {})
        base = self.https_base if https else self.plain_base
        request = urllib.request.Request(  # noqa: S310 - 127.0.0.1 only
            base + path, data=data, headers=all_headers, method=method
        )
        try:
            with self.opener.open(request, timeout=60) as answer:
                return Response(answer.status, answer.headers, answer.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, error.headers, error.read())

    def get(self, path: str, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def post_form(self, path: str, fields: dict) -> Response:
        body = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": self.cookie("csrftoken"), **fields}
        ).encode()
        return self.request(
            "POST",
            path,
            data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )

    def post_json(self, path: str, payload: dict, headers: dict | None = None) -> Response:
        return self.request(
            "POST",
            path,
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json", **(headers or {})},
        )


# ---- nginx in front, with TLS, as in production -------------------------------------------------

NGINX_SITE = ROOT / "deploy" / "nginx" / "shegong.conf"
NGINX_PROXY_PARAMS = ROOT / "deploy" / "nginx" / "shegong_proxy_params"


def find_nginx() -> str | None:
    # /usr/sbin is not on every user's PATH.
    found = shutil.which("nginx") or "/usr/sbin/nginx"
    return found if os.access(found, os.X_OK) else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 valid for a day; the client trusts exactly this one."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "shegong prod-smoke")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "fullchain.pem", directory / "privkey.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.touch(mode=0o600)
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class Nginx:
    """deploy/nginx/shegong.conf as it is, on free ports of 127.0.0.1, run as a child process."""

    def __init__(self, binary: str, work: Path, logs: Path, *, upstream_port: int):
        self.binary, self.logs, self.upstream_port = binary, logs, upstream_port
        self.dir = work / "nginx"
        self.dir.mkdir()
        self.http_port, self.https_port = free_port(), free_port()
        while self.https_port == self.http_port:
            self.https_port = free_port()
        self.cert, self.key = self_signed_certificate(self.dir)
        self.context = ssl.create_default_context(cafile=str(self.cert))
        self.https_base = f"https://127.0.0.1:{self.https_port}"
        self.plain_base = f"http://127.0.0.1:{self.http_port}"
        self.access_log = logs / "nginx-shegong.access.log"

    def site(self, static_root: Path) -> str:
        """The real site file with only listen ports, upstream, server_name and paths replaced.

        Each replacement must match: when shegong.conf changes shape, this fails loudly
        instead of quietly testing something else.
        """
        text = NGINX_SITE.read_text()
        replacements = [
            # Only 127.0.0.1: the machine may have no IPv6, and nothing here should be public.
            (r"^[ \t]*listen \[::\]:80;\n", ""),
            (r"^[ \t]*listen \[::\]:443 [^;]*;\n", ""),
            (r"listen 80;", f"listen 127.0.0.1:{self.http_port};"),
            (r"listen 443 ", f"listen 127.0.0.1:{self.https_port} "),
            (r"server 127\.0\.0\.1:8000 ", f"server 127.0.0.1:{self.upstream_port} "),
            (r"server_name shegong\.example\.gov\.cn;", "server_name 127.0.0.1;"),
            (r"/etc/ssl/shegong/fullchain\.pem", str(self.cert)),
            (r"/etc/ssl/shegong/privkey\.pem", str(self.key)),
            (r"/var/log/nginx/", f"{self.logs}/nginx-"),
            (r"alias /srv/shegong/staticfiles/;", f"alias {static_root}/;"),
            (r"include /etc/nginx/shegong_proxy_params;", f"include {NGINX_PROXY_PARAMS};"),
        ]
        for pattern, replacement in replacements:
            text, count = re.subn(pattern, lambda _, r=replacement: r, text, flags=re.M)
            check(count > 0, f"{NGINX_SITE.name} has no {pattern!r} any more: adapt prod_smoke.py")
        return text

    def write_config(self, static_root: Path) -> Path:
        (self.dir / "site.conf").write_text(self.site(static_root))
        temp = self.dir / "temp"
        temp.mkdir()
        # As root the master hands the workers to an unprivileged user (default nobody), which
        # could not read this run's files: keep them as the user running the smoke.
        if os.geteuid() == 0:
            import grp
            import pwd

            me = pwd.getpwuid(os.geteuid())
            user = f"user {me.pw_name} {grp.getgrgid(me.pw_gid).gr_name};"
        else:
            user = ""
        mime = Path("/etc/nginx/mime.types")
        config = self.dir / "nginx.conf"
        config.write_text(
            f"""{user}
worker_processes 1;
pid {self.dir}/nginx.pid;
error_log {self.logs}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
    {f"include {mime};" if mime.is_file() else ""}
    default_type application/octet-stream;
    access_log {self.logs}/nginx-access.log;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {self.dir}/site.conf;
}}
"""
        )
        return config

    def command(self, config: Path, *extra: str) -> list[str]:
        # -e: the error log before the config is read (the built-in one is /var/log/nginx/).
        return [
            self.binary,
            "-p",
            str(self.dir),
            "-e",
            str(self.logs / "nginx-error.log"),
            "-c",
            str(config),
            *extra,
        ]

    def start(self, processes: Processes, static_root: Path) -> None:
        config = self.write_config(static_root)
        test = subprocess.run(  # noqa: S603 - nginx -t on the config written above
            self.command(config, "-t"), capture_output=True, text=True, timeout=60
        )
        check(test.returncode == 0, f"nginx -t: {test.stderr.strip()}")
        processes.start("nginx", self.command(config, "-g", "daemon off;"))

    def status_from(self, address: str, path: str) -> int:
        """A request from another local address (127.0.0.2): "not this machine" to nginx."""
        connection = http.client.HTTPSConnection(
            "127.0.0.1",
            self.https_port,
            context=self.context,
            source_address=(address, 0),
            timeout=30,
        )
        try:
            connection.request("GET", path)
            return connection.getresponse().status
        finally:
            connection.close()


# ---- the run -----------------------------------------------------------------------------------


def environment(var_dir: Path, port: int, origin: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "DEBUG",
            "SHEGONG_DEMO",
            "SHEGONG_TESTING",
            "HUEY_IMMEDIATE",
            "DATABASE_URL",
            "REDIS_URL",
            "SHEGONG_LOG_FORMAT",
            "SESSION_COOKIE_SECURE",
            "SHEGONG_SSL_REDIRECT",
            "SHEGONG_BEHIND_PROXY",
            "CSRF_TRUSTED_ORIGINS",
        }
    }
    env.update(
        DJANGO_SETTINGS_MODULE="shegong.settings",
        SECRET_KEY=secrets.token_urlsafe(50),
        SHEGONG_FIELD_KEY=secrets.token_urlsafe(50),
        SHEGONG_BACKUP_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=pg_url(DB_NAME),
        REDIS_URL=REDIS_URL,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SHEGONG_VAR_DIR=str(var_dir),
        SHEGONG_BASE_URL=origin,
        # The site's https origin as the browser sees it. Behind nginx on a port other than 443
        # Django sees only the host (nginx passes $host), so it is named here as in production's
        # environment file.
        CSRF_TRUSTED_ORIGINS=origin,
        SHEGONG_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
        SHEGONG_WEB_THREADS="4",
        PROMETHEUS_MULTIPROC_DIR=str(var_dir / "prometheus"),
        LOG_LEVEL="INFO",
    )
    return env


def wait_for(what: str, probe, seconds: float, processes: Processes):
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        processes.check_alive()
        try:
            last = probe()
        except OSError as exc:
            last = exc
        else:
            if last:
                return last
        time.sleep(0.5)
    raise SmokeFailure(f"{what}: not within {seconds:.0f} s (last: {last!r})")


def run(args: argparse.Namespace, work: Path) -> str:
    var_dir = work / "var"
    (var_dir / "prometheus").mkdir(parents=True)
    logs = work / "logs"
    logs.mkdir()
    binary = None if args.direct else find_nginx()
    nginx = Nginx(binary, work, logs, upstream_port=args.port) if binary else None
    origin = nginx.https_base if nginx else f"https://127.0.0.1:{args.port}"
    env = environment(var_dir, args.port, origin)
    processes = Processes(logs, env)
    gunicorn_base = f"http://127.0.0.1:{args.port}"
    try:
        urllib.request.urlopen(gunicorn_base + "/healthz", timeout=2)  # noqa: S310 - localhost
        raise SmokeFailure(f"port {args.port} is already in use")
    except urllib.error.HTTPError:
        raise SmokeFailure(f"port {args.port} is already in use") from None
    except OSError:
        pass
    if nginx:
        mode = (
            f"behind nginx ({binary}) with TLS: {nginx.https_base}, "
            f"http on {nginx.plain_base}, gunicorn on {gunicorn_base}"
        )
    else:
        why = "--direct" if args.direct else "nginx is not installed"
        mode = f"straight to gunicorn ({why}): X-Forwarded-Proto added by the client"
    step(f"mode: {mode}")

    step(f"database {DB_NAME} (fresh), Redis {REDIS_URL} (flushed), logs in {logs}")
    recreate_database()
    flush_redis()
    try:
        step("migrate")
        processes.manage("migrate", "--noinput")
        step("collectstatic")
        processes.manage("collectstatic", "--noinput")
        static_root = ROOT / "staticfiles"
        check(
            (static_root / "vendor" / "bootstrap" / "bootstrap.min.css").is_file(),
            "collectstatic did not fill STATIC_ROOT (nginx serves /static/ from there)",
        )
        step("two Huey consumers (1 with periodic jobs, 2 with --no-periodic)")
        for n in ("1", "2"):
            processes.start(f"worker-{n}", [str(ROOT / "deploy" / "run-worker.sh"), n])
        step("seed_demo --people 300")
        processes.manage("seed_demo", "--people", "300")
        vendor_out = processes.manage("create_device_vendor", "prod-smoke vendor")
        vendor_key = re.search(r"key:\s+(\S+)", vendor_out).group(1)
        vendor_secret = re.search(r"secret:\s+(\S+)", vendor_out).group(1)
        step("gunicorn -c deploy/gunicorn.conf.py (2 workers)")
        processes.start("gunicorn", [GUNICORN, "-c", "deploy/gunicorn.conf.py", "shegong.wsgi"])
        # Straight to gunicorn, standing in for nginx: the checks of Django's own side.
        direct = Browser(gunicorn_base, stand_in=True)
        wait_for(
            "gunicorn answering /healthz",
            lambda: direct.get("/healthz").status in (200, 503),
            60,
            processes,
        )
        if nginx:
            step(f"nginx: deploy/nginx/shegong.conf, ports {nginx.http_port}/{nginx.https_port}")
            nginx.start(processes, static_root)
            browser = Browser(nginx.https_base, nginx.plain_base, context=nginx.context)
            wait_for(
                "nginx answering https /healthz",
                lambda: browser.get("/healthz").status in (200, 503),
                60,
                processes,
            )
        else:
            browser = direct
        exercise(browser, direct, nginx, vendor_key, vendor_secret, processes, logs)
    finally:
        step(
            "stopping nginx, gunicorn and the consumers"
            if nginx
            else "stopping gunicorn and the consumers"
        )
        processes.stop_all()
        recreate_database(drop_only=True)
        flush_redis()
    return "behind nginx with TLS" if nginx else "straight to gunicorn, without nginx"


def exercise(
    browser: Browser,
    direct: Browser,
    nginx: Nginx | None,
    vendor_key: str,
    vendor_secret: str,
    processes: Processes,
    logs: Path,
) -> None:
    """``browser`` goes through nginx when there is one; ``direct`` always straight to gunicorn."""
    import openpyxl

    sys.path.insert(0, str(ROOT))
    from shegong.devices.signing import signed_headers

    if nginx:
        step("nginx: plain http answers only a 301 to https, /healthz included")
        for path in ("/accounts/login/?next=/people/", "/healthz"):
            plain = browser.get(path, https=False)
            # $host carries no port: in production that is https on 443.
            check(
                plain.status == 301 and plain.headers.get("Location") == "https://127.0.0.1" + path,
                f"GET {path} on nginx's http port: expected a 301 to https://127.0.0.1{path}, "
                f"got {plain.status} {plain.headers.get('Location')}",
            )
        step("nginx: /static/ from STATIC_ROOT with its cache headers and gzip, not from gunicorn")
        css = "/static/vendor/bootstrap/bootstrap.min.css"
        static = browser.get(css, headers={"Accept-Encoding": "gzip"})
        check(static.status == 200, f"GET {css} through nginx: {static.status}")
        cache_control = ", ".join(static.headers.get_all("Cache-Control") or [])
        check(
            "stale-while-revalidate=604800" in cache_control,
            f"{css}: Cache-Control {cache_control!r} is not the one of nginx's /static/ location",
        )
        # Django (RequestContextMiddleware, before whitenoise) stamps every answer it makes.
        check("X-Request-ID" not in static.headers, f"{css} was answered by gunicorn, not nginx")
        check(static.headers.get("Content-Encoding") == "gzip", f"{css} is not gzipped")
        etag = static.headers.get("ETag", "")
        again = browser.get(css, headers={"If-None-Match": etag}) if etag else None
        check(again is not None and again.status == 304, f"{css}: no ETag revalidation (304)")

    step("Django behind it: plain http is redirected to https; /healthz is not")
    plain = direct.get("/accounts/login/", https=False)
    check(
        plain.status == 301 and plain.headers["Location"].startswith("https://"),
        f"GET /accounts/login/ over http: expected a 301 to https, got {plain.status}",
    )
    check(direct.get("/healthz", https=False).status == 200, "/healthz over http must answer")

    step(f"log in as {ACCOUNT}")
    form = browser.get("/accounts/login/")
    check(form.status == 200, f"login page: {form.status}")
    check("max-age=" in form.headers.get("Strict-Transport-Security", ""), "no HSTS header")
    check(browser.cookie("csrftoken") != "", "no CSRF cookie on the login page")
    login = browser.post_form("/accounts/login/", {"username": ACCOUNT, "password": PASSWORD})
    check(
        login.status == 302 and "/accounts/login/" not in login.headers.get("Location", ""),
        f"login failed: {login.status} {login.headers.get('Location')}",
    )
    check(browser.cookie("sessionid") != "", "no session cookie after login")

    step("search people (page and API)")
    api_page = browser.get("/api/v1/people?q=" + urllib.parse.quote("王"))
    check(api_page.status == 200, f"GET /api/v1/people: {api_page.status} {api_page.text[:300]}")
    found = api_page.json()
    check(found["count"] > 0, "searching 王 among 300 demo people found nobody")
    surname = found["items"][0]["name"][:1]
    page = browser.get("/people/?q=" + urllib.parse.quote(surname))
    check(page.status == 200, f"GET /people/?q=…: {page.status}")
    check(
        re.search(r"\d{6}\*{8}[\dX]{4}", page.text) is not None,
        "the people list shows no masked ID number",
    )
    search_rid = page.headers["X-Request-ID"]

    step("bind a device, raise an alarm with a signed vendor request, acknowledge it")
    serial = "SMOKE-" + uuid.uuid4().hex[:8]
    device = None
    for number in range(1, 13):
        listing = browser.get(f"/api/v1/people?page={number}").json()
        for person in (p for p in listing["items"] if p["age"] >= 60):
            device = browser.post_json(
                "/api/v1/devices",
                {
                    "serial": serial,
                    "kind": "sos_button",
                    "vendor": vendor_key,
                    "person_id": person["id"],
                },
            )
            if device.status == 201:
                break
        if device is not None and device.status == 201:
            break
    check(
        device is not None and device.status == 201, f"binding a device: {device and device.text}"
    )
    body = json.dumps(
        {
            "event_id": uuid.uuid4().hex,
            "serial": serial,
            "type": "sos",
            "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
            "data": {},
        }
    ).encode()
    event = browser.request(
        "POST",
        "/api/v1/devices/events",
        data=body,
        headers={
            "Content-Type": "application/json",
            **signed_headers(vendor_key, vendor_secret, body, int(time.time())),
        },
    )
    check(event.status == 202, f"signed device event: {event.status} {event.text[:300]}")
    check("X-Request-ID" in event.headers, "the lean device path answered without X-Request-ID")
    alarm_id = event.json()["alarm_id"]
    check(alarm_id is not None, "an SOS raised no alarm")
    check(browser.get(f"/alarms/{alarm_id}/").status == 200, "the alarm page does not open")
    ack = browser.post_json(f"/api/v1/alarms/{alarm_id}/acknowledge", {"note": "smoke"})
    check(ack.status == 200, f"acknowledge: {ack.status} {ack.text[:300]}")
    check(ack.json()["status"] == "acknowledged", f"alarm not acknowledged: {ack.text[:300]}")

    step("export the people list (a job for the consumers) and open the .xlsx")
    started = browser.post_form("/people/export/", {"q": ""})
    check(started.status == 302, f"starting the export: {started.status}")
    job_path = urllib.parse.urlsplit(started.headers["Location"]).path
    download = wait_for(
        "the export job done by a consumer",
        lambda: (lambda r: r if r.status == 200 else None)(browser.get(job_path + "download/")),
        120,
        processes,
    )
    check(
        download.headers.get("Content-Type", "").startswith(
            "application/vnd.openxmlformats-officedocument.spreadsheetml"
        ),
        f"the download is not .xlsx: {download.headers.get('Content-Type')}",
    )
    sheet = openpyxl.load_workbook(io.BytesIO(download.body), read_only=True).active
    rows = sum(1 for _ in sheet.iter_rows())
    check(rows > 300, f"the exported list has {rows} rows, expected the 300 people and a header")

    step("/healthz: database, queue, Redis, both consumers' heartbeats")
    health = wait_for(
        "a healthy /healthz with the periodic heartbeat and 2 consumers",
        lambda: (
            lambda r: (
                r
                if r.status == 200
                and r.json().get("heartbeat") == "ok"
                and r.json()["consumers"] == 2
                else None
            )
        )(browser.get("/healthz")),
        90,
        processes,
    )
    body = health.json()
    check(body["redis"] == "ok" and body["database"] == "ok", f"/healthz: {body}")

    step("/metrics: all gunicorn workers added up, gauges, no personal data, closed to outsiders")
    before = healthz_count(browser)
    for _ in range(20):
        browser.get("/healthz")
    metrics = browser.get("/metrics")
    check(metrics.status == 200, f"/metrics from localhost: {metrics.status}")
    after = healthz_count(browser, metrics.text)
    # gunicorn spreads the 20 over its 2 workers: only added-up counters show all of them.
    check(
        after - before == 20,
        f"/metrics counted {after - before} /healthz requests, expected 20 — workers not added up?",
    )
    for needle in (
        'shegong_consumer_heartbeat_age_seconds{consumer="worker-1"}',
        'shegong_consumer_heartbeat_age_seconds{consumer="worker-2"}',
        "shegong_database_up 1.0",
        "shegong_redis_up 1.0",
        'view="people:list"',
    ):
        check(needle in metrics.text, f"/metrics lacks {needle}")
    check(
        re.search(r"\d{6}\*{8}", metrics.text) is None and "/people/?" not in metrics.text,
        "/metrics contains something that looks like personal data",
    )
    acknowledged = re.search(
        r'^shegong_alarms_active\{severity="critical",status="acknowledged"\} (\S+)$',
        metrics.text,
        re.M,
    )
    check(
        acknowledged is not None and float(acknowledged.group(1)) >= 1,
        "/metrics does not count the acknowledged critical alarm",
    )
    # Django takes the client from the last X-Forwarded-For entry, the one nginx appends.
    outsider = direct.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    check(outsider.status == 404, f"/metrics for an outside address: {outsider.status}")
    if nginx:
        # Through nginx a forged entry comes first and nginx's own ($remote_addr) last.
        forged = browser.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
        check(
            forged.status == 200,
            f"/metrics via nginx with a forged X-Forwarded-For: {forged.status}",
        )
        # Another local address is "not this machine" to nginx's allow list: refused there.
        status = nginx.status_from("127.0.0.2", "/metrics")
        check(
            status == 403, f"/metrics via nginx from 127.0.0.2: expected nginx's 403, got {status}"
        )
        check(
            nginx.status_from("127.0.0.2", "/healthz") == 200,
            "/healthz via nginx from 127.0.0.2 does not answer",
        )

    step("JSON logs: one access line per request with its request id, no search terms")
    lines = [
        json.loads(line)
        for line in (logs / "gunicorn.log").read_text().splitlines()
        if line.startswith("{")
    ]
    access = [line for line in lines if line.get("logger") == "shegong.access"]
    check(access, "gunicorn.log has no JSON access lines")
    search_line = [line for line in access if line.get("request_id") == search_rid]
    check(len(search_line) == 1, f"no access line with the search's request id {search_rid}")
    check(search_line[0]["path"] == "/people/", f"access line path: {search_line[0]['path']}")
    check(isinstance(search_line[0].get("user_id"), int), "the access line has no user id")
    if nginx:
        # The id is nginx's $request_id (32 hex digits), in nginx's access log and in ours.
        check(re.fullmatch(r"[0-9a-f]{32}", search_rid) is not None, f"request id {search_rid}")
        nginx_log = nginx.access_log.read_text()
        nginx_line = [line for line in nginx_log.splitlines() if f"rid={search_rid}" in line]
        check(
            len(nginx_line) == 1 and '"GET /people/" 200' in nginx_line[0],
            f"nginx's access log has no line for the search with rid={search_rid}",
        )
        check(
            urllib.parse.quote(surname) not in nginx_log and f"q={surname}" not in nginx_log,
            "the search term reached nginx's access log",
        )
        check(
            not [line for line in access if line["path"].startswith("/static/")],
            "gunicorn logged a /static/ request: nginx did not serve it",
        )
    log_text = (logs / "gunicorn.log").read_text()
    check(
        urllib.parse.quote(surname) not in log_text and f"q={surname}" not in log_text,
        "the search term reached the log",
    )
    worker_lines = [
        json.loads(line)
        for line in (logs / "worker-1.log").read_text().splitlines()
        + (logs / "worker-2.log").read_text().splitlines()
        if line.startswith("{")
    ]
    check(
        any(line.get("task_id") for line in worker_lines),
        "no consumer log line carries a task id",
    )


def healthz_count(browser: Browser, text: str | None = None) -> float:
    text = text if text is not None else browser.get("/metrics").text
    total = 0.0
    for match in re.finditer(r"^shegong_http_requests_total\{([^}]*)\} (\S+)$", text, re.M):
        if 'view="healthz"' in match.group(1):
            total += float(match.group(2))
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8766, help="gunicorn's port")
    parser.add_argument(
        "--direct", action="store_true", help="straight to gunicorn even when nginx is installed"
    )
    parser.add_argument("--keep-logs", action="store_true", help="keep the logs when it passes")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="shegong-prodsmoke."))
    # Ctrl-C and a CI timeout's SIGTERM run the same clean-up as a failure.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        mode = run(args, work)
    except (SmokeFailure, KeyboardInterrupt) as exc:
        print(f"\nprod-smoke FAILED: {str(exc) or 'interrupted'}", file=sys.stderr)
        print(f"logs: {work / 'logs'}", file=sys.stderr)
        return 1
    except Exception as exc:
        print(f"\nprod-smoke FAILED: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        print(f"logs: {work / 'logs'}", file=sys.stderr)
        raise
    step(f"prod-smoke passed ({mode})")
    if args.keep_logs:
        print(f"logs: {work / 'logs'}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

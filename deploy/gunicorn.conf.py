"""gunicorn settings for shegong (``gunicorn -c deploy/gunicorn.conf.py shegong.wsgi``).

Everything comes from the environment so that the systemd unit and ``make prod-smoke`` share
this file: ``SHEGONG_BIND`` (``127.0.0.1:8000`` or ``unix:/run/shegong/web.sock``),
``WEB_CONCURRENCY`` (worker processes, default 2 × cores + 1, at most 8) and
``SHEGONG_WEB_THREADS`` (threads per worker, default 4).
"""

import multiprocessing
import os

bind = os.environ.get("SHEGONG_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY") or min(multiprocessing.cpu_count() * 2 + 1, 8))
worker_class = "gthread"
threads = int(os.environ.get("SHEGONG_WEB_THREADS", "4"))
# A request longer than this is stuck (exports and imports run in the Huey consumers).
timeout = int(os.environ.get("SHEGONG_WEB_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Replace workers now and then: bounds slow memory growth, costs nothing behind nginx.
max_requests = 5000
max_requests_jitter = 500
# nginx writes the access log with $request_id; shegong writes its own JSON access line.
accesslog = None
errorlog = "-"
# Only the local nginx may say the request came over https.
forwarded_allow_ips = "127.0.0.1,::1"
proc_name = "shegong-web"
# gunicorn 27's runtime control socket would sit in the home directory (ProtectHome in the
# unit); reloads go through systemd (SIGHUP) instead.
control_socket_disable = True


def child_exit(server, worker):
    """Retire a dead worker's metric files (multiprocess mode, see shegong/ops/metrics.py)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)

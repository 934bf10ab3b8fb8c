"""gunicorn settings for CityLab: `gunicorn -c deploy/gunicorn.conf.py citylab.wsgi`."""

import multiprocessing
import os

bind = os.environ.get("CITYLAB_BIND", "127.0.0.1:8000")
# Two workers per core plus one: requests mostly wait on PostgreSQL, not the CPU.
workers = int(os.environ.get("CITYLAB_WEB_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = 1
timeout = 60
graceful_timeout = 30
# Restart workers now and then so that slow memory growth never becomes an outage. The load
# is spread evenly, so with a jitter of 200 every worker reached its limit within seconds of
# the others and the site stalled while they all booted (bench/load.py, 200 residents on two
# cores: p99 10 s); half the limit spreads the restarts out (p99 3 s).
max_requests = 2000
max_requests_jitter = 1000
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("CITYLAB_FORWARDED_ALLOW_IPS", "127.0.0.1")


"""gunicorn as in production: ``gunicorn -c socrates/gunicorn.conf.py`` (``make serve``).

Options on the command line or in ``GUNICORN_CMD_ARGS`` win over these
(``--bind``, ``--workers``...).
"""

import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

wsgi_app = "socrates.wsgi:application"
chdir = str(BASE_DIR)
worker_class = "socrates.gunicorn_worker.JsonErrorsSyncWorker"
# gunicorn's most (its default, 4094, refused a long search term itself, as an
# HTML page): every request line the API accepts fits, so the API's own
# validation answers an over-long parameter, naming it.
limit_request_line = 8190


def on_starting(server):
    # Every HTML page needs the manifest collectstatic writes (socrates.E003).
    # In a process of its own: the master imports no Django, so workers load
    # the app afresh, new code included after a reload.
    collect = [sys.executable, str(BASE_DIR / "manage.py"), "collectstatic", "--noinput"]
    exit_code = subprocess.run(collect, check=False).returncode
    if exit_code:
        raise SystemExit(f"manage.py collectstatic exited {exit_code}: not serving.")

"""Where the time goes on one endpoint: ``python -m bench.web.profile ENDPOINT
[--requests N] [--server project|floor]``, after ``python -m bench --keep``
left the benchmark databases filled. The endpoint runs in-process through
the server's WSGI application as gunicorn calls it (for the project: the
whole middleware stack, with the benchmark server's settings, DEBUG off):
first timed, then under pyinstrument, whose call tree is written to
``bench/results/profile-ENDPOINT[-floor].txt``."""

import argparse
import io
import os
import time

from bench.web import dataset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("endpoint")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--server", choices=("project", "floor"), default="project")
    arguments = parser.parse_args()

    from bench.web.run import NAMES, endpoints

    # What the benchmark's project server runs with (bench.web.servers).
    os.environ.update(
        DJANGO_SETTINGS_MODULE="socrates.settings",
        DEBUG="false",
        HTTPS="false",
        ALLOWED_HOSTS="127.0.0.1",
        LOG_LEVEL="WARNING",
    )
    from django.conf import settings
    from pyinstrument import Profiler

    from socrates.wsgi import application

    for alias, name in NAMES.items():
        settings.DATABASES[alias]["NAME"] = name
    from accounts.models import User
    from accounts.services import issue_tokens

    # Signed in as the load's tokens are, without the sign-in throttle.
    access = issue_tokens(user=User.objects.get(pk=dataset.Subjects().user_id)).access
    if arguments.server == "floor":
        from bench.web.run import PostgresServer

        config = settings.DATABASES["auth"]
        postgres = PostgresServer(
            config["HOST"], config["PORT"] or "5432", config["USER"], config["PASSWORD"] or ""
        )
        os.environ.update(
            BENCH_DSN_AUTH=postgres.url(NAMES["auth"]),
            BENCH_DSN_SPECS=postgres.url(NAMES["specs"]),
            SECRET_KEY=settings.SECRET_KEY,
        )
        # Django registers psycopg2's UUID type globally; the floor, alone in
        # its gunicorn, reads UUIDs as text.
        import psycopg2.extensions

        for oid in (2950, 2951):
            psycopg2.extensions.string_types.pop(oid, None)
        from bench.peers.floor import application
    request = {e.name: e.request for e in endpoints(access)}[arguments.endpoint]
    path, _, query = request.path.partition("?")
    body = request.body.encode()
    header = "HTTP_" + request.header.upper().replace("-", "_")

    def call() -> None:
        environ = {
            "REQUEST_METHOD": request.method,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8801",
            "HTTP_HOST": "127.0.0.1",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            header: request.header_value,
            "wsgi.input": io.BytesIO(body),
            "wsgi.url_scheme": "http",
            "wsgi.errors": io.StringIO(),
        }
        statuses = []
        b"".join(application(environ, lambda status, headers: statuses.append(status)))
        assert statuses[0] < "300", statuses

    call()
    # The best of five batches: the least disturbed by the rest of the machine.
    batch = max(1, arguments.requests // 5)
    batches = []
    for _ in range(5):
        started, cpu = time.perf_counter(), time.process_time()
        for _ in range(batch):
            call()
        batches.append(
            ((time.perf_counter() - started) / batch, (time.process_time() - cpu) / batch)
        )
    profiler = Profiler(interval=0.0005)
    with profiler:
        for _ in range(arguments.requests):
            call()
    text = profiler.output_text(unicode=True, show_all=True)
    suffix = "" if arguments.server == "project" else f"-{arguments.server}"
    path = f"bench/results/profile-{arguments.endpoint}{suffix}.txt"
    with open(path, "w") as output:
        output.write(text)
    print(text)
    wall, cpu = min(batches)
    print(
        f"{wall * 1000:.2f} ms a request, {cpu * 1000:.2f} ms of it in this process's CPU"
        " (unprofiled, best of five batches)"
    )


if __name__ == "__main__":
    main()

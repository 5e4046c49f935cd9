"""Where the project's time goes on one endpoint: ``python -m bench.web.profile
ENDPOINT [--requests N]``, after ``python -m bench --keep`` left the benchmark
databases filled. The endpoint runs in-process (Django's test client: the
whole middleware stack, no gunicorn) under pyinstrument, and the call tree is
written to ``bench/results/profile-ENDPOINT.txt``."""

import argparse
import os

import django

from bench.web import dataset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("endpoint")
    parser.add_argument("--requests", type=int, default=300)
    arguments = parser.parse_args()

    from bench.web.run import NAMES, endpoints

    os.environ["DJANGO_SETTINGS_MODULE"] = "socrates.settings"
    django.setup()
    from django.conf import settings
    from django.db import connections
    from django.test import Client
    from pyinstrument import Profiler

    for alias, name in NAMES.items():
        settings.DATABASES[alias]["NAME"] = name
        connections[alias].settings_dict["NAME"] = name
    from accounts.models import User
    from accounts.services import issue_tokens

    client = Client()
    # Signed in as the load's tokens are, without the sign-in throttle.
    access = issue_tokens(user=User.objects.get(pk=dataset.Subjects().user_id)).access
    request = {e.name: e.request for e in endpoints(access)}[arguments.endpoint]
    headers = {request.header: request.header_value}

    def call() -> None:
        response = client.generic(
            request.method, request.path, request.body, "application/json", headers=headers
        )
        assert response.status_code < 300, response.content

    call()
    profiler = Profiler(interval=0.001)
    with profiler:
        for _ in range(arguments.requests):
            call()
    text = profiler.output_text(unicode=True, show_all=True)
    path = f"bench/results/profile-{arguments.endpoint}.txt"
    with open(path, "w") as output:
        output.write(text)
    print(text)


if __name__ == "__main__":
    main()

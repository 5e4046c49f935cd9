"""What a wrong password costs, by kind of account.

    .venv/bin/python -m bench.password_failures [--tries N]

A failed sign-in must take as long on a new account (Argon2), on a legacy one
(bcrypt wrapped in Argon2) and on a login that doesn't exist, or its time
would tell them apart. This times the hashing each of them does, with the
project's settings (``LEGACY_BCRYPT_ROUNDS``, legacy hashes at that cost),
and writes the medians to ``bench/results/password_failures.txt``.
"""

import argparse
import os
import statistics
import time

import django

from bench import write_results

WRONG = "Wrong-Horse-Battery-9"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=20)
    arguments = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socrates.settings")
    django.setup()

    import bcrypt
    from django.conf import settings
    from django.contrib.auth.hashers import check_password, make_password

    from accounts.hashers import Argon2WrappedBCryptPasswordHasher, spend_legacy_bcrypt_time

    password = "Correct-Horse-Battery-9"
    legacy = bcrypt.hashpw(password.encode(), bcrypt.gensalt(settings.LEGACY_BCRYPT_ROUNDS))
    new_hash = make_password(password)
    wrapped_hash = Argon2WrappedBCryptPasswordHasher().wrap(legacy.decode())
    cases = {
        "new account (Argon2)": lambda: check_password(WRONG, new_hash),
        "legacy account (bcrypt wrapped in Argon2)": lambda: check_password(WRONG, wrapped_hash),
        # What accounts.services.authenticate does for a login that doesn't exist.
        "no such account": lambda: (make_password(WRONG), spend_legacy_bcrypt_time(WRONG)),
    }
    lines = [
        f"wrong password, median of {arguments.tries} tries, "
        f"LEGACY_BCRYPT_ROUNDS={settings.LEGACY_BCRYPT_ROUNDS}, {os.cpu_count()} CPUs"
    ]
    for name, attempt in cases.items():
        seconds = []
        for _ in range(arguments.tries):
            started = time.perf_counter()
            attempt()
            seconds.append(time.perf_counter() - started)
        lines.append(f"{name}: {statistics.median(seconds) * 1000:.0f} ms")
    write_results("password_failures.txt", "\n".join(lines))


if __name__ == "__main__":
    main()

"""The web benchmark (``python -m bench``, ``make bench``): this project, its
legacy-stack peer and a raw psycopg2 floor, side by side on the same data."""

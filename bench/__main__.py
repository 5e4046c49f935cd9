"""``python -m bench``: the web benchmark (bench.web.run)."""

from bench.web.run import main

main()

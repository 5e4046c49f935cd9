"""``python -m bench.capacity``: the capacity benchmark (bench.capacity.run)."""

from bench.capacity.run import main

main()

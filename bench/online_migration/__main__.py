from bench.online_migration.run import main

main()

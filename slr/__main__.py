from slr.cli import main

main()

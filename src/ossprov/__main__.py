from ossprov.cli import main

main()

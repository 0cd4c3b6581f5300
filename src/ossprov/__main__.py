from ossprov.daemon.client import main

main()

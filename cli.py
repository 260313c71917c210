from geoalloc.cli import main

main()

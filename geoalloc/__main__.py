import sys

try:
    from geoalloc.cli import main
except KeyboardInterrupt:  # Ctrl-C while starting up: as main() ends an interrupted run
    sys.stderr.write("geoalloc: interrupted (Ctrl-C)\n")
    sys.exit(130)

main()

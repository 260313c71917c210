"""One module per ``geoalloc`` subcommand, each a thin click layer over the library."""

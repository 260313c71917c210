"""One module per ``geoalloc`` subcommand (rasterio's ``rio`` style); ``geoalloc.cli`` registers them."""

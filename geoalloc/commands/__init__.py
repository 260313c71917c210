"""The ``geoalloc`` subcommands, one module each (rasterio's ``rio`` layout)."""

"""Travel times: OSM road graphs, crowfly and tables computed elsewhere, as a :class:`TravelMatrix`.

```python
from geoalloc.travel import load_graph, service_areas, table_matrix, travel_matrix
G = load_graph("region.osm.pbf", mode="drive")        # osmnx-shaped MultiDiGraph
tm = travel_matrix(G, areas, sites, max_minutes=60)   # TravelMatrix; tm.to_long()
tm = table_matrix("od.parquet", areas, sites)         # minutes from r5py, OSRM, ArcGIS…
areas = service_areas(G, sites, minutes=[10, 20, 30])  # GeoDataFrame of polygons, EPSG:4326
```
The pipeline calls :func:`compute_matrix` and :func:`service_areas_for` with a scenario's
``[network]`` options.
"""

from geoalloc.travel.api import (
    RoadClosures,
    compute_matrix,
    default_cache_dir,
    load_network,
    service_areas_for,
)
from geoalloc.travel.crowfly import crowfly_matrix
from geoalloc.travel.graph import load_graph
from geoalloc.travel.isochrones import crowfly_service_areas, service_areas
from geoalloc.travel.matrix import TravelMatrix
from geoalloc.travel.network import RoadNetwork
from geoalloc.travel.options import NetworkOptions
from geoalloc.travel.routing import travel_matrix
from geoalloc.travel.table import read_travel_table, table_matrix

__all__ = [
    "NetworkOptions",
    "RoadClosures",
    "RoadNetwork",
    "TravelMatrix",
    "compute_matrix",
    "crowfly_matrix",
    "crowfly_service_areas",
    "default_cache_dir",
    "load_graph",
    "load_network",
    "read_travel_table",
    "service_areas",
    "service_areas_for",
    "table_matrix",
    "travel_matrix",
]

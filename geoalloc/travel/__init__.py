"""Travel times: crowfly and OSM road graphs, as a :class:`TravelMatrix`."""

from geoalloc.travel.api import compute_matrix
from geoalloc.travel.crowfly import crowfly_matrix
from geoalloc.travel.matrix import TravelMatrix
from geoalloc.travel.options import NetworkOptions

__all__ = ["NetworkOptions", "TravelMatrix", "compute_matrix", "crowfly_matrix"]

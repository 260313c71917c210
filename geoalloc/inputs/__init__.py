"""Reading and checking inputs: vector files, OSM layers, joins, population points, the demo inputs."""

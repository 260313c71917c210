"""Rural telemedicine coverage: who is beyond the travel standard of any physician, and which of
them tele-consultation hubs can serve (``[telemedicine]`` in a scenario; see
:mod:`geoalloc.telemedicine.run` and :mod:`geoalloc.optimize.telemedicine`)."""

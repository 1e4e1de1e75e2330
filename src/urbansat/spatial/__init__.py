"""urbansat.spatial: the pure, lazy spatial core.

Modules::

    ``areas``      true pixel areas (ellipsoidal rows for lon/lat grids, ``|a e|`` for projected
                   grids) and polygon areas in the same convention
    ``coverage``   exact coverage fractions of polygons over a grid (numba, Green's theorem)
    ``zonal``      :func:`zonal_stats`, :func:`class_areas`, :func:`class_transition_areas`,
                   chunk by chunk on dask (runs unchanged on dask.distributed)
    ``swath``      :func:`select_soundings`: soundings per boundary by footprint overlap
    ``gridding``   :func:`grid_soundings`: footprint-area oversampling onto a lon/lat grid
    ``grid``       :class:`GridSpec`, the value object of a regular north-up grid
    ``local``      a boundary's own azimuthal equidistant frame; buffers in kilometres

Nothing here opens files: rasters come in as (lazy) ``xarray.DataArray`` objects
(``rioxarray.open_rasterio(path, chunks=...)``), boundaries as GeoDataFrames
(:func:`urbansat.read_boundaries`).
"""

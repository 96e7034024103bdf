"""The events store: schema and rules, CSV and GeoParquet readers, the frame builder, writers, dataset queries.

``geodata.events`` re-exports the table API (``load_events``, ``append_events``...); :mod:`geodata.store.dataset`
queries large event sets in place.
"""

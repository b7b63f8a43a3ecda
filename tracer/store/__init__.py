"""The store seam: repository protocols (:mod:`.base`) and their implementations.

Everything tracer keeps goes through a :class:`~tracer.store.base.Store`'s units of
work; :mod:`.sqlite` is the embedded default and the only place with SQL.  A
PostgreSQL store implements the same protocols.
"""

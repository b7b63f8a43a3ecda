"""Development, benchmark and test tooling for tracer; never imported by ``tracer/``.

``tracer_dev.portfolio_world`` writes a synthetic portfolio world (accounts, per-source
record extracts, outcomes of an earlier campaign, and the truth) in the layout of
``../shared/data/world-dev``; ``tracer_dev.baselines`` writes reference exports to score
against it.  See ``tracer_dev/README.md``.
"""

"""The equivalence check: the same probe requests through a model of the old controller and a
model of Gateway API (check), each difference explained only by a finding that predicted it
(explain, prediction), run for a translation's result (verification).

Empty on purpose: `findings` imports `equivalence.prediction`, and that must not load the
simulators.
"""

"""Running: a plan in, a RunResult out.

The runner executes a compiled plan's training steps with scikit-learn: load and
verify data, validate it, split, fit, evaluate, test fairness, explain, record a
drift baseline and package the model. Heavy imports (numpy, pandas, scikit-learn)
happen only in this package, never on the paths of check and plan.
"""

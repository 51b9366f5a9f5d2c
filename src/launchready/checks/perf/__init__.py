"""PERF checks: latency budgets, burst errors and baseline regressions."""

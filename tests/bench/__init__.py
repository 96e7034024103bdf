"""Benchmarks run by ``make bench``; each module measures ours against a naive baseline in the same run."""

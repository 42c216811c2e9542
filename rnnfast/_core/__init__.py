"""What every family shares: argument checks, the worker threads, progress reports,
file persistence and scikit-learn's base classes. Imports nothing else of rnnfast."""

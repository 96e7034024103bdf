"""The Kirkuk Control Map dashboard: the Streamlit page and its helpers (view state, caches, labels, launcher)."""

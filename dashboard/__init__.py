"""The Streamlit dashboard: app.py (entrypoint), views/ (one module per page), state, charts."""

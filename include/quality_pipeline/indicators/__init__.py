"""Quarterly indicators: SQL in `warehouse/marts/indicators/`, targets and the index from config files."""

"""Everything that imports Airflow, and nothing else: defaults, the DAG factory, task bodies, notifications and
the two topologies. The domain packages (`parsing`, `validation`, `loading`, `warehouse`, `indicators`,
`report`) never import from here; the DAG files in `dags/` import only from here.
"""

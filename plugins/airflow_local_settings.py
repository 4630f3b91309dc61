"""AERIS's cluster policy: Airflow imports `airflow_local_settings` by that name from its path (the
plugins folder is on it), in the scheduler and wherever task instances are created.

A deployment with its own `airflow_local_settings` module imports this hook into it instead.
"""

from __future__ import annotations


def task_instance_mutation_hook(task_instance, dag_run=None) -> None:
    """Each mapped per-gas task instance of a TEMPO run shows its gas from the moment it exists."""
    # Imported here: Airflow imports this module while it initialises, before the plugin can be.
    from aeris.listeners.map_index import label_expanded

    label_expanded(task_instance, dag_run)

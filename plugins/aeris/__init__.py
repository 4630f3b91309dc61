"""AERIS's Airflow plugin code, in one namespace (Airflow puts plugins/ on sys.path; a generic top-level
name such as `tasks` could collide with another package and is stored in trigger classpaths):
hooks, sensors, triggers, notifications, tasks (the DAGs' steps), ui (the AERIS view) and listeners."""

from aeris_lib.redaction import install_log_redaction

# Every record of AERIS's loggers (and urllib3's, and Airflow's task loggers) is redacted as it is made.
install_log_redaction()

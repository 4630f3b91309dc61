# The image docker-compose.yaml builds: Airflow's official image, this project's runtime pins only
# (requirements.txt: no test tools, emulator or linters; those are requirements-dev.txt), and the code.
# The Airflow version is named here once; requirements.txt pins the same (tests/deploy checks it).
ARG AIRFLOW_VERSION=3.3.2
FROM apache/airflow:${AIRFLOW_VERSION}-python3.11
ARG AIRFLOW_VERSION
COPY requirements.txt /requirements.txt
RUN pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" -r /requirements.txt
# The code the components run. docker-compose.yaml also mounts dags/ and plugins/ over these for
# development; a deployment without the mounts runs what is baked in here.
COPY --chown=airflow:root dags/ /opt/airflow/dags/
COPY --chown=airflow:root plugins/ /opt/airflow/plugins/
COPY --chown=airflow:root include/ /opt/airflow/include/
COPY --chown=airflow:root aeris_lib/ /opt/airflow/aeris_lib/
ENV PYTHONPATH=/opt/airflow:/opt/airflow/plugins

# The image docker-compose.yaml builds: Airflow's official image plus this project's pinned
# dependencies (rasterio, numpy, the providers...). DAGs, plugins, include/ and aeris_lib/ are mounted.
FROM apache/airflow:3.3.2-python3.11
COPY requirements.txt /requirements.txt
RUN pip install --no-cache-dir "apache-airflow==3.3.2" -r /requirements.txt

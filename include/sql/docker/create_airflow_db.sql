-- Creates Airflow's metadata database beside the AERIS data on the compose PostGIS server.
CREATE DATABASE airflow;

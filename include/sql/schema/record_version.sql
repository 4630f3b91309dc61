INSERT INTO aeris_schema_version (version, name) VALUES (%(version)s, %(name)s)

SELECT current_setting('aeris.moved')::int

SELECT set_config('aeris.new_owner', %(owner)s, true)

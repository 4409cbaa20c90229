"""From case files to frozen Case objects: YAML, the safe parser, values, data, options."""

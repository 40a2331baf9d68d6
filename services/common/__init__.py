"""The small kit every service shares: config, Mongo access, events, errors, caller context."""

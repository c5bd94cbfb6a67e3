"""pagetoken as a test double: the control API of `serve --dev`, its CLI and the pytest plugin (SPEC §11)."""

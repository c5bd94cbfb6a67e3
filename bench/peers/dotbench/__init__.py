"""A minimal Django project serving django-oauth-toolkit's token introspection (the benchmark's peer)."""

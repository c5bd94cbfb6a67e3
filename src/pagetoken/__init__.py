"""pagetoken: a self-hosted Page access token authority, its web tools and a client-side vault."""

__version__ = "0.1.0"

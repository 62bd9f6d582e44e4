"""Code shared by every Shortener function, shipped as the SharedCode Lambda layer."""

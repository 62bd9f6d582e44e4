"""Code shared by every Shortener function, shipped as the SharedCode Lambda layer."""

import warnings

# Powertools warns on every invocation that records no business metric (a GET, a refused key):
# expected here, so it would only bury the logs. Its docs suggest exactly this filter.
warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)

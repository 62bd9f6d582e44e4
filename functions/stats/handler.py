"""StatsQueue consumer: each owner's daily counts of created, updated and deleted links."""

from shortener.consumers.runner import LinkEventConsumer
from shortener.consumers.stats import EFFECT, count_event

# The counter's transaction (marker + counter) is the idempotency; no second record is needed.
handler = LinkEventConsumer(EFFECT, count_event, idempotent=False).lambda_handler()

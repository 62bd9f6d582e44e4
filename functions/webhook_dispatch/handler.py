"""Webhooks consumer: each link event becomes one queued delivery per subscribed endpoint."""

from shortener.consumers.runner import LinkEventConsumer
from shortener.webhooks.dispatch import dispatch

handler = LinkEventConsumer("webhooks", dispatch).lambda_handler()

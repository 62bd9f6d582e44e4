"""Webhook notice consumer: emails an endpoint's owner, once, when the endpoint is disabled."""

from shortener.webhooks.disable_notice import NoticeConsumer

handler = NoticeConsumer().lambda_handler()

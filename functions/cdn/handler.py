"""CdnQueue consumer: one CloudFront invalidation per batch for the links that changed."""

from shortener.consumers.cdn import CdnConsumer

handler = CdnConsumer().lambda_handler()

"""ClicksStream consumer: counts each click of the CDN's real-time logs once (docs/analytics.md).

Also the consumer of the replay queue, where a redrive of its DLQ brings failed batches back.
"""

from shortener.clicks.consumer import handle as handler

__all__ = ["handler"]

"""Work moto repeats on every request although its answer never changes, done once instead.

Measured with cProfile on the moto server during 100 link creations and their side effects
(about 4,200 requests): of 59 s spent in moto, 24 s went to finding which backend serves each
request (`dispatch`) and 7.7 s to re-parsing the same JSONPath expressions for every event an
EventBridge rule delivers (`events`). After that fix, a sampling profile (py-spy, GIL held) put
half of what remained in SQS: queue attributes recomputed per message (`sqs`). A soak then
showed each wave draining more slowly than the one before: a query on a table's own key sorted
the whole table (`dynamodb`). The CDN's click log made every Kinesis put list a shard's keys and
every poll walk its records (`kinesis`). None of these changes what moto answers.
"""

from __future__ import annotations

from localcloud.speedups.dispatch import CachedDomainDispatcher
from localcloud.speedups.dynamodb import query_one_partition
from localcloud.speedups.events import cache_jsonpath_parsing
from localcloud.speedups.kinesis import read_shards_directly
from localcloud.speedups.sqs import compute_queue_attributes_once

__all__ = [
    "CachedDomainDispatcher",
    "cache_jsonpath_parsing",
    "compute_queue_attributes_once",
    "query_one_partition",
    "read_shards_directly",
]

"""What every command gets: AWS clients, the stack (found lazily) and the output."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from ops.aws import Clients
from ops.discovery import Stack
from ops.output import Output


@dataclass
class Context:
    stack_name: str
    out: Output
    clients: Clients = field(default_factory=Clients)

    @cached_property
    def stack(self) -> Stack:
        return Stack(self.clients, self.stack_name)

"""EmailQueue consumer: the confirmation email of a new link, to the key owner's address."""

from shortener.consumers.email import EFFECT, send_confirmation
from shortener.consumers.runner import LinkEventConsumer

handler = LinkEventConsumer(EFFECT, send_confirmation).lambda_handler()

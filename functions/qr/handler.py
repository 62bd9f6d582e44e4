"""QrQueue consumer: PNG and SVG QR codes of each link's short URL in the QR bucket."""

from shortener.consumers.qr import EFFECT, apply_qr
from shortener.consumers.runner import LinkEventConsumer

handler = LinkEventConsumer(EFFECT, apply_qr, ordered=True).lambda_handler()

"""Partner webhooks (docs/webhooks.md): endpoints, the SSRF guard, fan-out and signed delivery."""

"""Partner webhooks (DESIGN section 6): endpoints, the SSRF guard, fan-out and signed delivery."""

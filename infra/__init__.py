"""The Shortener stack as CDK constructs, one module per concern (see docs/architecture.md)."""

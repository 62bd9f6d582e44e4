"""The management API: one Powertools resolver, one router per resource."""

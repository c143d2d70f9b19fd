"""phibench."""

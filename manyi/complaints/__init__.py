"""投诉举报: complaints about law enforcement, kept apart from the anonymous survey."""

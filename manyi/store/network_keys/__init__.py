"""The daily keys under which the collector hashes a sender's network prefix."""

"""The workspace's pages, one module per area; each page takes a `Call` and gives a response."""

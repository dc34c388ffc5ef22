"""Support files for tests/test_book.py: a minimal DevTools client, and the local MathJax (npm ci here)."""

"""Support for tests/test_book.py (a minimal DevTools client), and the pinned MathJax 3 that
scripts/build-book copies into the site (package.json here; scripts/install runs npm ci)."""

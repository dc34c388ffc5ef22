"""The book's pinned npm packages: MathJax 3, which scripts/build-book copies into the site
(package.json and package-lock.json here; scripts/install runs npm ci)."""

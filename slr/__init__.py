"""slr: systematic literature reviews from the terminal, the PRISMA 2020 way."""

__version__ = "0.1.0"

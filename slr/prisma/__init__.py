"""PRISMA 2020: counts derived from the store, the template CSV, PRISMA-S, the flow diagram."""

from slr.prisma.counts import AUTOMATION, Counts, PrismaError, prisma_counts
from slr.prisma.template import prisma_csv, prisma_json

__all__ = ["AUTOMATION", "Counts", "PrismaError", "prisma_counts", "prisma_csv", "prisma_json"]

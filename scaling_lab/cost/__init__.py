"""Cost per 1M events: one versioned price table and a model over RunResult."""

from scaling_lab.aws.prices import PRICE_TABLE, Price, PriceTable
from scaling_lab.cost.model import CostEstimate, CostLine, estimate_cost

__all__ = ["PRICE_TABLE", "CostEstimate", "CostLine", "Price", "PriceTable", "estimate_cost"]

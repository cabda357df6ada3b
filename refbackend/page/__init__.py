"""The operator's view of the fleet: a web page served by the reference backend under /operator/."""

from refbackend.page.server import OperatorPage

__all__ = ["OperatorPage"]

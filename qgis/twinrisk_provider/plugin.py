"""Plugin entry point: registers the twinrisk provider with the Processing registry."""

from qgis.core import QgsApplication

from .provider import TwinriskProvider


class TwinriskPlugin:
    def __init__(self, iface):
        self.iface = iface  # None under qgis_process; never used
        self.provider = None

    def initProcessing(self):  # noqa: N802 (QGIS API name)
        if self.provider is None:
            self.provider = TwinriskProvider()
            QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self):  # noqa: N802 — the desktop does not call initProcessing() itself
        self.initProcessing()

    def unload(self):
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None

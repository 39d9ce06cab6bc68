"""twinrisk Processing provider plugin.

QGIS calls classFactory(iface); headless (qgis_process) iface is None and only initProcessing()
is called, so nothing here may touch iface.
"""


def classFactory(iface):  # noqa: N802 (QGIS API name)
    from .plugin import TwinriskPlugin
    return TwinriskPlugin(iface)

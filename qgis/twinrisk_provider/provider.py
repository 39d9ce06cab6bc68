"""The twinrisk Processing provider: one algorithm per entry of `twinrisk algorithms --json`."""

import os

from qgis.core import QgsMessageLog, QgsProcessingProvider, Qgis
from qgis.PyQt.QtGui import QIcon

from . import cli
from .algorithm import TwinriskAlgorithm

BINARY_SETTING = 'TWINRISK_BINARY'


def _processing_config():
    # The Processing plugin is present both in the desktop and under qgis_process.
    from processing.core.ProcessingConfig import ProcessingConfig, Setting
    return ProcessingConfig, Setting


class TwinriskProvider(QgsProcessingProvider):
    def __init__(self):
        super().__init__()
        self.registry = None
        self.load_error = None

    def id(self):
        return 'twinrisk'

    def name(self):
        return 'twinrisk'

    def longName(self):  # noqa: N802
        version = (self.registry or {}).get('twinrisk_version')
        return f'twinrisk {version}' if version else 'twinrisk'

    def icon(self):
        return QIcon(self.svgIconPath())

    def svgIconPath(self):  # noqa: N802
        return os.path.join(cli.PLUGIN_DIR, 'icons', 'twinrisk.svg')

    def load(self):
        config, setting = _processing_config()
        config.settingIcons[self.name()] = self.icon()
        config.addSetting(setting(self.name(), BINARY_SETTING, 'twinrisk executable', cli.default_binary(),
                                  valuetype=setting.FILE))
        config.readSettings()
        self.refreshAlgorithms()
        return True

    def unload(self):
        config, _ = _processing_config()
        config.removeSetting(BINARY_SETTING)

    def binary(self):
        config, _ = _processing_config()
        return cli.resolve_binary(config.getSetting(BINARY_SETTING))

    def loadAlgorithms(self):  # noqa: N802
        self.registry = None
        self.load_error = None
        try:
            self.registry = cli.describe(self.binary())
        except cli.TwinriskError as problem:
            # No algorithms, but QGIS keeps working; the message says how to fix the path.
            self.load_error = str(problem)
            QgsMessageLog.logMessage(self.load_error, 'twinrisk', Qgis.Warning)
            return
        common = self.registry.get('common_parameters', [])
        for description in self.registry.get('algorithms', []):
            self.addAlgorithm(TwinriskAlgorithm(description, common))

    def supportsNonFileBasedOutput(self):  # noqa: N802
        return False

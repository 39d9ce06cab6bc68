"""The algorithm dialog: QGIS's own, plus field parameters that follow their layer.

When a layer is chosen, each of its role fields (hazard class, municipality ID, …) is set to the
field it most likely is (fields.likely_field); where nothing is likely, QGIS's own choice stays.
Batch and modeler dialogs are QGIS's, unchanged.
"""

from qgis.core import QgsProcessingParameters
from processing.gui.AlgorithmDialog import AlgorithmDialog

from . import fields


class TwinriskDialog(AlgorithmDialog):
    def __init__(self, algorithm, parent=None):
        super().__init__(algorithm, parent=parent)
        panel = self.mainWidget()
        for layer_name, role_fields in algorithm.role_field_parameters().items():
            wrapper = panel.wrappers.get(layer_name)
            if wrapper is None:
                continue
            # QGIS's field wrappers connected first, so they hold the new layer's fields by then.
            wrapper.widgetValueHasChanged.connect(lambda _, name=layer_name: self.pick_fields(name))
            self.pick_fields(layer_name)

    def pick_fields(self, layer_name):
        panel = self.mainWidget()
        wrapper = panel.wrappers[layer_name]
        layer = QgsProcessingParameters.parameterAsVectorLayer(
            wrapper.parameterDefinition(), wrapper.parameterValue(), panel.processing_context)
        if layer is None:
            return
        for parameter_name, role_field in self.algorithm().role_field_parameters()[layer_name]:
            field_wrapper = panel.wrappers.get(parameter_name)
            guess = fields.likely_field(layer, role_field)
            if field_wrapper is not None and guess:
                field_wrapper.setParameterValue(guess, panel.processing_context)

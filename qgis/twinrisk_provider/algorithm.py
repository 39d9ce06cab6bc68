"""One Processing algorithm built from one registry entry of `twinrisk algorithms --json`.

The parameters, their types, defaults, ranges, help and outputs all come from the registry; this
module only knows how each registry *type* maps to a QgsProcessingParameter and to CLI arguments.
"""

import os
import re
import shutil
import tempfile

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsFeatureRequest,
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeatureSourceDefinition,
    QgsProcessingLayerPostProcessorInterface,
    QgsProcessingOutputFile,
    QgsProcessingOutputVectorLayer,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterCrs,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorLayer,
    QgsProcessingUtils,
    QgsProviderRegistry,
    QgsVectorFileWriter,
)

from . import cli

GEOMETRY_FILTERS = {
    'polygon': QgsProcessing.TypeVectorPolygon,
    'line': QgsProcessing.TypeVectorLine,
    'point': QgsProcessing.TypeVectorPoint,
    'any': QgsProcessing.TypeVectorAnyGeometry,
    'none': QgsProcessing.TypeVector,
}
OUTPUT_GEOMETRY = {
    'polygon': QgsProcessing.TypeVectorPolygon,
    'line': QgsProcessing.TypeVectorLine,
    'point': QgsProcessing.TypeVectorPoint,
    'none': QgsProcessing.TypeVector,
}
# CRS identifiers PROJ resolves by itself; anything else (USER:…, custom) is passed as WKT.
PROJ_AUTHORITIES = ('EPSG:', 'ESRI:', 'IGNF:', 'OGC:', 'IAU_2015:')
GPKG_NAME = 'twinrisk.gpkg'
MANIFEST_OUTPUT = 'manifest'

# Post-processors must outlive the algorithm instance that created them (QGIS keeps raw pointers).
_POST_PROCESSORS = []


def role_field_parameter(layer_name, role_field):
    return f'{layer_name}_{role_field}_field'


def _text(value):
    return '' if value is None else str(value)


def _number_text(value):
    return repr(float(value)) if isinstance(value, float) else str(value)


class _LoadStoredStyle(QgsProcessingLayerPostProcessorInterface):
    """Applies the style twinrisk stored in the GeoPackage's layer_styles table."""

    def postProcessLayer(self, layer, context, feedback):  # noqa: N802
        if layer is not None and layer.isValid():
            layer.loadDefaultStyle()


class TwinriskAlgorithm(QgsProcessingAlgorithm):
    def __init__(self, description, common_parameters):
        super().__init__()
        self._description = description
        self._common = common_parameters

    # --- identity and help -------------------------------------------------------------------
    def createInstance(self):  # noqa: N802
        return TwinriskAlgorithm(self._description, self._common)

    def name(self):
        return self._description['id']

    def displayName(self):  # noqa: N802
        return self._description.get('title') or self.name()

    def group(self):
        return self._description.get('group', '')

    def groupId(self):  # noqa: N802
        return re.sub(r'[^a-z0-9]+', '-', self.group().lower()).strip('-')

    def shortDescription(self):  # noqa: N802
        return self._description.get('title', '')

    def shortHelpString(self):  # noqa: N802
        lines = [self._description.get('help', ''), '', 'Outputs (in the output folder):']
        for output in self._description.get('outputs', []):
            where = f'{GPKG_NAME}, layer {output["name"]}' if output.get('kind') == 'layer' \
                else f'tables/{output["name"]}.csv'
            lines.append(f'• {output["name"]} ({where}): {output.get("description", "")}')
        lines.append('• manifest.json: inputs, checksums, parameters and counts of the run')
        lines.append('')
        lines.append(f'Command line: twinrisk {self.name()} --help')
        return '\n'.join(lines)

    def helpUrl(self):  # noqa: N802
        page = os.path.normpath(os.path.join(cli.PLUGIN_DIR, '..', '..', 'docs', 'algorithms', f'{self.name()}.md'))
        return 'file://' + page if os.path.exists(page) else ''

    # --- parameters --------------------------------------------------------------------------
    def initAlgorithm(self, config=None):  # noqa: N802
        for spec in self._description.get('parameters', []):
            for parameter in self._parameters_for(spec):
                self.addParameter(parameter)
        for spec in self._common:
            for parameter in self._parameters_for(spec, common=True):
                self.addParameter(parameter)
        for output in self._description.get('outputs', []):
            description = output.get('description') or output['name']
            if output.get('kind') == 'layer':
                self.addOutput(QgsProcessingOutputVectorLayer(
                    output['name'], description, OUTPUT_GEOMETRY.get(output.get('geometry'),
                                                                     QgsProcessing.TypeVectorAnyGeometry)))
            elif output.get('kind') == 'file':
                self.addOutput(QgsProcessingOutputFile(output['name'], description))
            else:
                self.addOutput(QgsProcessingOutputFile(output['name'], f'{description} (CSV)'))
        self.addOutput(QgsProcessingOutputFile(MANIFEST_OUTPUT, 'Run manifest (JSON)'))

    def _parameters_for(self, spec, common=False):
        kind = spec.get('type')
        name = spec['name']
        description = spec.get('description') or name
        optional = bool(spec.get('optional', False))
        default = spec.get('default')
        unit = spec.get('unit')
        if unit:
            description = f'{description} [{unit}]'

        if kind == 'raster':
            if spec.get('multiple'):
                return [QgsProcessingParameterMultipleLayers(name, description, QgsProcessing.TypeRaster, None,
                                                             optional)]
            return [QgsProcessingParameterRasterLayer(name, description, None, optional)]
        if kind == 'table':
            # A table is any vector layer, with or without geometry; its columns are named as the role's.
            return [QgsProcessingParameterVectorLayer(name, description, [QgsProcessing.TypeVector], None, optional)]
        if kind == 'layer' and spec.get('multiple'):
            geometry = GEOMETRY_FILTERS.get(spec.get('geometry', 'any'), QgsProcessing.TypeVectorAnyGeometry)
            parameters = [QgsProcessingParameterMultipleLayers(name, description, geometry, None, optional)]
            role_fields = spec.get('role_fields') or {}
            # One mapping for every layer of the list (a field picker needs a single parent layer).
            for role_field in role_fields.get('required', []) + role_fields.get('optional', []):
                parameters.append(QgsProcessingParameterString(
                    role_field_parameter(name, role_field), f'{name}: field for {role_field} (every layer)',
                    None, False, True))
            return parameters
        if kind == 'layer':
            geometry = GEOMETRY_FILTERS.get(spec.get('geometry', 'any'), QgsProcessing.TypeVectorAnyGeometry)
            parameters = [QgsProcessingParameterFeatureSource(name, description, [geometry], None, optional)]
            role_fields = spec.get('role_fields') or {}
            for role_field, field_optional in [(f, False) for f in role_fields.get('required', [])] + \
                                              [(f, True) for f in role_fields.get('optional', [])]:
                label = f'{name}: field for {role_field}' + (' (optional)' if field_optional else '')
                parameters.append(QgsProcessingParameterField(
                    role_field_parameter(name, role_field), label, role_field, name,
                    QgsProcessingParameterField.Any, False, field_optional))
            return parameters

        if kind in ('number', 'integer'):
            number_type = QgsProcessingParameterNumber.Double if kind == 'number' else QgsProcessingParameterNumber.Integer
            parameter = QgsProcessingParameterNumber(name, description, number_type, default, optional)
            if spec.get('min') is not None:
                parameter.setMinimum(spec['min'])
            if spec.get('max') is not None:
                parameter.setMaximum(spec['max'])
        elif kind == 'boolean':
            parameter = QgsProcessingParameterBoolean(name, description, bool(default), optional)
        elif kind == 'enum':
            choices = [str(c) for c in spec.get('choices', [])]
            index = choices.index(str(default)) if default is not None and str(default) in choices else None
            parameter = QgsProcessingParameterEnum(name, description, choices, False, index, optional)
        elif kind == 'crs':
            # 'auto' (an equal-area CRS centred on the data) has no QGIS equivalent: empty means auto.
            auto = default in (None, 'auto')
            parameter = QgsProcessingParameterCrs(
                name, f'{description} — leave empty for auto' if auto else description,
                None if auto else default, optional or auto)
        elif kind == 'folder':
            parameter = QgsProcessingParameterFolderDestination(name, description, None, optional)
            return [parameter]
        elif kind == 'file':
            parameter = QgsProcessingParameterFile(name, description, QgsProcessingParameterFile.File, '',
                                                   default, optional)
        elif spec.get('multiple'):  # a list of values: comma-separated, as on the command line
            text = ','.join(_number_text(v) if isinstance(v, (int, float)) else str(v) for v in (default or []))
            parameter = QgsProcessingParameterString(name, f'{description} (comma-separated)', text or None, False,
                                                     optional or default is not None)
        else:  # 'string' and any type this provider does not know yet: the CLI validates it
            parameter = QgsProcessingParameterString(name, description, _text(default) or None, False, optional)
        if common:
            parameter.setFlags(parameter.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
        return [parameter]

    # --- running -----------------------------------------------------------------------------
    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        provider = self.provider()
        try:
            binary = provider.binary() if provider is not None else cli.resolve_binary(None)
        except cli.TwinriskError as problem:
            raise QgsProcessingException(str(problem)) from problem

        workdir = tempfile.mkdtemp(prefix='twinrisk_', dir=QgsProcessingUtils.tempFolder())
        try:
            command = [binary, '--progress', 'json', self.name()]
            for spec in self._description.get('parameters', []):
                command += self._arguments_for(spec, parameters, context, feedback, workdir, common=False)
            folder = None
            for spec in self._common:
                if spec.get('type') == 'folder':
                    folder = self.parameterAsFileOutput(parameters, spec['name'], context)
                    if not folder:
                        raise QgsProcessingException(f'{spec["name"]}: an output folder is required')
                    command += [spec['cli_flag'], folder]
                    continue
                command += self._arguments_for(spec, parameters, context, feedback, workdir, common=True)
            if feedback.isCanceled():
                return {}
            try:
                cli.run(command, feedback)
            except cli.TwinriskError as problem:
                raise QgsProcessingException(str(problem)) from problem
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

        return self._results(folder, context)

    def _results(self, folder, context):
        results = {name: folder for name in
                   [s['name'] for s in self._common if s.get('type') == 'folder']}
        gpkg = os.path.join(folder, GPKG_NAME)
        for output in self._description.get('outputs', []):
            if output.get('kind') == 'layer':
                uri = f'{gpkg}|layername={output["name"]}'
                results[output['name']] = uri
                if context.project() is not None:
                    details = QgsProcessingContext.LayerDetails(output['name'], context.project(), output['name'])
                    post_processor = _LoadStoredStyle()
                    _POST_PROCESSORS.append(post_processor)
                    details.setPostProcessor(post_processor)
                    context.addLayerToLoadOnCompletion(uri, details)
            elif output.get('kind') == 'file':
                results[output['name']] = os.path.join(folder, output['name'])
            else:
                results[output['name']] = os.path.join(folder, 'tables', f'{output["name"]}.csv')
        results[MANIFEST_OUTPUT] = os.path.join(folder, 'manifest.json')
        return results

    def _arguments_for(self, spec, parameters, context, feedback, workdir, common):
        kind = spec.get('type')
        name = spec['name']
        flag = spec['cli_flag']
        if kind == 'layer' and spec.get('multiple'):
            return self._layer_list_arguments(spec, parameters, context, feedback, workdir)
        if kind == 'layer':
            return self._layer_arguments(spec, parameters, context, feedback, workdir)
        if kind == 'raster':
            layers = (self.parameterAsLayerList(parameters, name, context) if spec.get('multiple')
                      else [self.parameterAsRasterLayer(parameters, name, context)])
            return [item for layer in layers if layer is not None for item in (flag, layer.source())]
        if kind == 'table':
            layer = self.parameterAsVectorLayer(parameters, name, context)
            if layer is None:
                return []
            direct = _ogr_file(layer)
            path, layer_name, _ = direct if direct is not None else self._export(name, parameters, context, feedback,
                                                                                  workdir)
            flags = spec.get('cli_layer_options') or {}
            return [flag, path] + ([flags['layer'], layer_name] if layer_name and flags.get('layer') else [])
        raw = parameters.get(name, self.parameterDefinition(name).defaultValue())
        if raw is None or (isinstance(raw, str) and raw == ''):
            return []
        if kind == 'number':
            return [flag, _number_text(self.parameterAsDouble(parameters, name, context))]
        if kind == 'integer':
            return [flag, str(self.parameterAsInt(parameters, name, context))]
        if kind == 'boolean':
            value = self.parameterAsBoolean(parameters, name, context)
            # Common booleans are CLI switches (--overwrite); algorithm booleans take a value.
            if common:
                return [flag] if value else []
            return [flag, 'true' if value else 'false']
        if kind == 'enum':
            choices = [str(c) for c in spec.get('choices', [])]
            return [flag, choices[self.parameterAsEnum(parameters, name, context)]]
        if kind == 'crs':
            if isinstance(raw, str) and raw.strip().lower() == 'auto':
                return [flag, 'auto']
            crs = self.parameterAsCrs(parameters, name, context)
            return [flag, self._crs_text(crs)] if crs.isValid() else []
        if kind == 'file':
            return [flag, self.parameterAsFile(parameters, name, context)]
        return [flag, self.parameterAsString(parameters, name, context)]

    def _layer_list_arguments(self, spec, parameters, context, feedback, workdir):
        """Every layer of a list parameter exported to a GeoPackage of its own, under the parameter's name."""
        name = spec['name']
        flags = spec.get('cli_layer_options') or {}
        arguments = []
        for index, layer in enumerate(self.parameterAsLayerList(parameters, name, context)):
            path = os.path.join(workdir, f'{name}_{index + 1}.gpkg')
            options = QgsVectorFileWriter.SaveVectorOptions()
            options.driverName = 'GPKG'
            options.layerName = name
            options.fileEncoding = 'UTF-8'
            error = QgsVectorFileWriter.writeAsVectorFormatV3(layer, path, context.transformContext(), options)
            if error[0] != QgsVectorFileWriter.NoError:
                raise QgsProcessingException(f'{name}: could not export {layer.name()}: {error[1]}')
            arguments += [spec['cli_flag'], path]
        if arguments and flags.get('layer'):
            arguments += [flags['layer'], name]
        role_fields = spec.get('role_fields') or {}
        for role_field in role_fields.get('required', []) + role_fields.get('optional', []):
            source_field = self.parameterAsString(parameters, role_field_parameter(name, role_field), context)
            if source_field and source_field != role_field:
                arguments += [flags.get('field', spec['cli_flag'] + '-field'), f'{role_field}={source_field}']
        return arguments

    @staticmethod
    def _crs_text(crs):
        authid = crs.authid()
        if authid.upper().startswith(PROJ_AUTHORITIES):
            return authid
        return crs.toWkt(QgsCoordinateReferenceSystem.WKT_PREFERRED)

    def _layer_arguments(self, spec, parameters, context, feedback, workdir):
        name = spec['name']
        flags = spec.get('cli_layer_options') or {}
        source_path, layer_name, crs = self._layer_on_disk(name, parameters, context, feedback, workdir)
        arguments = [spec['cli_flag'], source_path]
        if layer_name and flags.get('layer'):
            arguments += [flags['layer'], layer_name]
        if crs and flags.get('crs'):
            arguments += [flags['crs'], crs]
        role_fields = spec.get('role_fields') or {}
        for role_field in role_fields.get('required', []) + role_fields.get('optional', []):
            chosen = self.parameterAsFields(parameters, role_field_parameter(name, role_field), context)
            source_field = chosen[0] if chosen else ''
            # Unmapped role fields fall back to a source field of the same name (CLI behaviour).
            if source_field and source_field != role_field:
                arguments += [flags.get('field', spec['cli_flag'] + '-field'), f'{role_field}={source_field}']
        return arguments

    def _layer_on_disk(self, name, parameters, context, feedback, workdir):
        """(path, layer name, CRS or None) of a GDAL-readable copy of the input.

        A plain OGR file is passed as it is; memory layers, selected features, subset strings,
        feature limits and non-OGR providers are first exported to a temporary GeoPackage.
        """
        value = parameters.get(name)
        plain_request = True
        if isinstance(value, QgsProcessingFeatureSourceDefinition):
            plain_request = (not value.selectedFeaturesOnly and value.featureLimit == -1
                             and not (value.flags & QgsProcessingFeatureSourceDefinition.FlagOverrideDefaultGeometryCheck))
        layer = self.parameterAsVectorLayer(parameters, name, context)
        if plain_request and layer is not None:
            direct = _ogr_file(layer)
            if direct is not None:
                return direct
        return self._export(name, parameters, context, feedback, workdir)

    def _export(self, name, parameters, context, feedback, workdir):
        source = self.parameterAsSource(parameters, name, context)
        if source is None:
            raise QgsProcessingException(self.invalidSourceError(parameters, name))
        path = os.path.join(workdir, f'{name}.gpkg')
        options = QgsVectorFileWriter.SaveVectorOptions()
        options.driverName = 'GPKG'
        options.layerName = name
        options.fileEncoding = 'UTF-8'
        taken = {field.name().lower() for field in source.fields()}
        if 'fid' in taken:  # keep a source field called fid as an ordinary attribute
            fid = next(f'twinrisk_fid{i or ""}' for i in range(100) if f'twinrisk_fid{i or ""}' not in taken)
            options.layerOptions = [f'FID={fid}']
        writer = QgsVectorFileWriter.create(path, source.fields(), source.wkbType(), source.sourceCrs(),
                                            context.transformContext(), options)
        if writer.hasError() != QgsVectorFileWriter.NoError:
            raise QgsProcessingException(f'{name}: could not export to {path}: {writer.errorMessage()}')
        feedback.pushInfo(f'{name}: exporting {source.featureCount()} features to a temporary GeoPackage')
        request = QgsFeatureRequest()
        for feature in source.getFeatures(request):
            if feedback.isCanceled():
                break
            if not writer.addFeature(feature):
                raise QgsProcessingException(f'{name}: could not export a feature: {writer.errorMessage()}')
        del writer
        return path, name, None


def _ogr_file(layer):
    """(path, layer name, CRS or None) when twinrisk can read the layer's own file, else None."""
    if layer.providerType() != 'ogr' or layer.subsetString():
        return None
    parts = QgsProviderRegistry.instance().decodeUri('ogr', layer.source())
    path = parts.get('path')
    extras = {k: v for k, v in parts.items() if k not in ('path', 'layerName', 'layerId') and v}
    if not path or extras or not os.path.isfile(path):
        return None
    path = os.path.abspath(path)
    layer_name = parts.get('layerName') or None
    if not layer_name:
        layer_name = _ogr_layer_name(path, parts.get('layerId') or 0)
        if layer_name is None:
            return None
    crs = None
    provider_crs = layer.dataProvider().crs()
    if not provider_crs.isValid() and layer.crs().isValid():
        crs = TwinriskAlgorithm._crs_text(layer.crs())  # the user assigned one in QGIS
    return path, layer_name, crs


def _ogr_layer_name(path, index):
    try:
        from osgeo import ogr
    except ImportError:
        return None
    dataset = ogr.Open(path)
    if dataset is None or index >= dataset.GetLayerCount():
        return None
    return dataset.GetLayer(index).GetName()

"""One Processing algorithm built from one registry entry of `twinrisk algorithms --json`.

The parameters, their labels, help, defaults, ranges and outputs all come from the registry; this
module only knows how each registry *type* maps to a QgsProcessingParameter and to CLI arguments,
and how each output *kind* comes back to QGIS.
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
    QgsProcessingOutputFolder,
    QgsProcessingOutputHtml,
    QgsProcessingOutputVectorLayer,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterCrs,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
    QgsProcessingUtils,
    QgsProviderRegistry,
    QgsVectorFileWriter,
)
from qgis.PyQt.QtGui import QIcon

from . import cli, fields, help as helptext

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
# CRS parameter values that are words, not CRSs: twinrisk resolves them itself.
CRS_WORDS = ('auto', 'analysis', 'input')
GPKG_NAME = 'twinrisk.gpkg'
MANIFEST = 'manifest.json'
MANIFEST_OUTPUT = 'manifest'
ICON_DIR = os.path.join(cli.PLUGIN_DIR, 'icons')
# The common parameters a dialog shows under "Advanced parameters".
ADVANCED = ('analysis_crs', 'threads')
OVERWRITE_WORDING = 'the output folder already holds results — tick Overwrite existing results, or choose another folder'

# Post-processors must outlive the algorithm instance that created them (QGIS keeps raw pointers).
_POST_PROCESSORS = []


def _text(value):
    return '' if value is None else str(value)


def _number_text(value):
    return repr(float(value)) if isinstance(value, float) else str(value)


def output_name(output):
    """A file output's name in QGIS: its path as an identifier ("maps/overview.png" → maps_overview_png)."""
    return re.sub(r'[^A-Za-z0-9_]+', '_', output['name']).strip('_') if output.get('kind') == 'file' else output['name']


def planned_paths(description):
    """What a run writes into the output folder (an existing one is refused without Overwrite)."""
    paths = [GPKG_NAME, MANIFEST]
    for output in description.get('outputs', []):
        if output.get('kind') == 'table':
            paths.append(os.path.join('tables', f'{output["name"]}.csv'))
        elif output.get('kind') == 'file':
            paths.append(output['name'])
    return paths


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

    def tags(self):
        return list(self._description.get('tags', []))

    def shortDescription(self):  # noqa: N802
        return helptext.first_sentence(self._description.get('help', ''))

    def shortHelpString(self):  # noqa: N802
        return helptext.short_help_html(self._description)

    def helpUrl(self):  # noqa: N802
        folder = os.path.join(QgsProcessingUtils.tempFolder(), 'twinrisk-help')
        return 'file://' + helptext.write_help_page(folder, self._description, self._common)

    def icon(self):
        return QIcon(self.svgIconPath())

    def svgIconPath(self):  # noqa: N802
        path = os.path.join(ICON_DIR, f'{self._description.get("icon", "")}.svg')
        return path if os.path.isfile(path) else os.path.join(ICON_DIR, 'twinrisk.svg')

    def createCustomParametersWidget(self, parent=None):  # noqa: N802
        from .dialog import TwinriskDialog  # the desktop's Processing GUI; never imported headless
        return TwinriskDialog(self, parent)

    # --- parameters --------------------------------------------------------------------------
    def role_field_parameters(self):
        """{layer parameter: [(field parameter, role field)]} for the field pickers that follow a layer."""
        out = {}
        for spec in self._description.get('parameters', []):
            if spec.get('type') in ('layer', 'table') and not spec.get('multiple'):
                pairs = [(f['name'], f['field']) for f in spec.get('field_parameters', [])]
                if pairs:
                    out[spec['name']] = pairs
        return out

    def initAlgorithm(self, config=None):  # noqa: N802
        for spec in self._description.get('parameters', []):
            for parameter in self._parameters_for(spec):
                self.addParameter(parameter)
        # Destinations last, as in QGIS's own dialogs.
        common = sorted(self._common, key=lambda spec: spec.get('type') == 'folder')
        for spec in common:
            parameter = self._parameter_for(spec)
            if spec['name'] in ADVANCED:
                parameter.setFlags(parameter.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
            self.addParameter(parameter)
        for output in self._description.get('outputs', []):
            self.addOutput(self._output_for(output))
        self.addOutput(QgsProcessingOutputFile(MANIFEST_OUTPUT, 'Run manifest (JSON)'))

    @staticmethod
    def _label(spec):
        return spec.get('label') or spec['name']

    def _parameters_for(self, spec):
        parameter = self._parameter_for(spec)
        parameters = [parameter]
        for field in spec.get('field_parameters', []):
            parameters.append(self._field_parameter_for(spec, field))
        return parameters

    def _field_parameter_for(self, spec, field):
        if spec.get('multiple'):
            # QGIS cannot list the fields of several layers: the name is typed, the same in each.
            parameter = QgsProcessingParameterString(field['name'], field['label'], None, False, field['optional'])
        else:
            parameter = QgsProcessingParameterField(field['name'], field['label'], None, spec['name'],
                                                    QgsProcessingParameterField.Any, False, field['optional'])
        parameter.setHelp(field.get('help', ''))
        return parameter

    def _parameter_for(self, spec):
        kind = spec.get('type')
        name = spec['name']
        label = self._label(spec)
        default = spec.get('default')
        multiple = bool(spec.get('multiple'))
        # QGIS's "optional" means "may be left empty" (and adds "[optional]" to the label): a number,
        # boolean or choice with a default always has a value.
        if kind in ('number', 'integer', 'boolean', 'enum', 'folder'):
            optional = False
        elif kind == 'string':
            optional = not default
        elif kind == 'crs':
            optional = default is None or default in CRS_WORDS
        else:
            optional = bool(spec.get('optional', False))

        if kind in ('layer', 'table'):
            geometry = GEOMETRY_FILTERS.get(spec.get('geometry', 'none' if kind == 'table' else 'any'),
                                            QgsProcessing.TypeVectorAnyGeometry)
            if multiple:
                parameter = QgsProcessingParameterMultipleLayers(name, label, geometry, None, optional)
            else:
                parameter = QgsProcessingParameterFeatureSource(name, label, [geometry], None, optional)
        elif kind == 'raster':
            if multiple:
                parameter = QgsProcessingParameterMultipleLayers(name, label, QgsProcessing.TypeRaster, None, optional)
            else:
                parameter = QgsProcessingParameterRasterLayer(name, label, None, optional)
        elif kind == 'field':
            parameter = QgsProcessingParameterField(name, label, None, spec.get('parent', ''),
                                                    QgsProcessingParameterField.Any, multiple, optional)
        elif kind in ('number', 'integer'):
            number_type = QgsProcessingParameterNumber.Double if kind == 'number' else QgsProcessingParameterNumber.Integer
            parameter = QgsProcessingParameterNumber(name, label, number_type, default, optional)
            if spec.get('min') is not None:
                parameter.setMinimum(spec['min'])
            if spec.get('max') is not None:
                parameter.setMaximum(spec['max'])
        elif kind == 'boolean':
            parameter = QgsProcessingParameterBoolean(name, label, bool(default), optional)
        elif kind == 'enum':
            choices = [str(c) for c in spec.get('choices', [])]
            index = choices.index(str(default)) if default is not None and str(default) in choices else None
            parameter = QgsProcessingParameterEnum(name, label, choices, False, index, optional)
        elif kind == 'crs':
            # 'auto', 'analysis' and 'input' have no QGIS equivalent: empty stands for the default word.
            word = default if isinstance(default, str) and default in CRS_WORDS else None
            parameter = QgsProcessingParameterCrs(name, label, None if word else default, optional or bool(word))
        elif kind == 'folder':
            parameter = QgsProcessingParameterFolderDestination(name, label, None, optional)
        else:  # 'string' and any type this provider does not know yet: the CLI validates it
            parameter = QgsProcessingParameterString(name, label, _text(default) or None, False, optional)
        parameter.setHelp(spec.get('help', ''))
        return parameter

    def _output_for(self, output):
        label = output.get('label') or output['name']
        kind = output.get('kind')
        if kind == 'layer':
            return QgsProcessingOutputVectorLayer(output['name'], label, OUTPUT_GEOMETRY.get(
                output.get('geometry'), QgsProcessing.TypeVectorAnyGeometry))
        if kind == 'table':
            return QgsProcessingOutputVectorLayer(output['name'], label, QgsProcessing.TypeVector)
        path = output['name']
        if path.endswith('/'):
            return QgsProcessingOutputFolder(output_name(output), label)
        if path.lower().endswith(('.html', '.htm')):
            return QgsProcessingOutputHtml(output_name(output), label)
        return QgsProcessingOutputFile(output_name(output), label)

    # --- checks before the run ---------------------------------------------------------------
    def _folder_spec(self):
        return next(spec for spec in self._common if spec.get('type') == 'folder')

    def checkParameterValues(self, parameters, context):  # noqa: N802
        ok, message = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, message
        folder_spec = self._folder_spec()
        value = parameters.get(folder_spec['name'])
        folder = self.parameterAsFileOutput(parameters, folder_spec['name'], context) \
            if value not in (None, '', QgsProcessing.TEMPORARY_OUTPUT) else ''
        overwrite = next((s['name'] for s in self._common if s['name'] == 'overwrite'), None)
        if folder and overwrite and not self.parameterAsBoolean(parameters, overwrite, context):
            existing = [p for p in planned_paths(self._description) if os.path.exists(os.path.join(folder, p))]
            if existing:
                return False, (f'{folder}: {OVERWRITE_WORDING} (it has {", ".join(existing[:3])}'
                               f'{", …" if len(existing) > 3 else ""}).')
        return True, ''

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
            folder_spec = self._folder_spec()
            folder = self.parameterAsFileOutput(parameters, folder_spec['name'], context)
            if not folder:
                raise QgsProcessingException(f'{self._label(folder_spec)}: choose a folder for the results')
            for spec in self._common:
                if spec is folder_spec:
                    command += [spec['cli_flag'], folder]
                else:
                    command += self._arguments_for(spec, parameters, context, feedback, workdir, common=True)
            if feedback.isCanceled():
                return {}
            try:
                cli.run(command, feedback, self._cli_wording())
            except cli.TwinriskError as problem:
                raise QgsProcessingException(str(problem)) from problem
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

        return self._results(folder, context)

    def _cli_wording(self):
        """CLI flags as the dialog calls them, for messages: --overwrite → ‘Overwrite existing results’."""
        wording = {'-o': self._label(self._folder_spec())}
        for spec in self._description.get('parameters', []) + self._common:
            wording[spec['cli_flag']] = self._label(spec)
            for field in spec.get('field_parameters', []):
                wording[f'{spec["cli_flag"]}-field {field["field"]}'] = field['label']
        return wording

    def _results(self, folder, context):
        results = {self._folder_spec()['name']: folder}
        gpkg = os.path.join(folder, GPKG_NAME)
        project = context.project()
        for output in self._description.get('outputs', []):
            kind = output.get('kind')
            label = output.get('label') or output['name']
            if kind == 'layer':
                uri = f'{gpkg}|layername={output["name"]}'
                results[output['name']] = uri
                if project is not None:
                    self._load_on_completion(uri, label, output['name'], context, styled=True)
            elif kind == 'table':
                path = os.path.join(folder, 'tables', f'{output["name"]}.csv')
                results[output['name']] = path
                if project is not None and os.path.exists(path):
                    # OGR reads the CSV as a table; AUTODETECT_TYPE gives numbers numeric columns.
                    self._load_on_completion(f'{path}|option:AUTODETECT_TYPE=YES', label, output['name'], context)
            else:
                results[output_name(output)] = os.path.join(folder, output['name'])
        results[MANIFEST_OUTPUT] = os.path.join(folder, MANIFEST)
        return results

    @staticmethod
    def _load_on_completion(uri, label, output, context, styled=False):
        details = QgsProcessingContext.LayerDetails(label, context.project(), output)
        if styled:
            post_processor = _LoadStoredStyle()
            _POST_PROCESSORS.append(post_processor)
            details.setPostProcessor(post_processor)
        context.addLayerToLoadOnCompletion(uri, details)

    def _arguments_for(self, spec, parameters, context, feedback, workdir, common):
        kind = spec.get('type')
        name = spec['name']
        flag = spec['cli_flag']
        if kind in ('layer', 'table'):
            if spec.get('multiple'):
                return self._layer_list_arguments(spec, parameters, context, feedback, workdir)
            return self._layer_arguments(spec, parameters, context, feedback, workdir)
        if kind == 'raster':
            return self._raster_arguments(spec, parameters, context)
        raw = parameters.get(name, self.parameterDefinition(name).defaultValue())
        if raw is None or (isinstance(raw, str) and raw == '') or raw == []:
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
            if isinstance(raw, str) and raw.strip().lower() in CRS_WORDS:
                return [flag, raw.strip().lower()]
            crs = self.parameterAsCrs(parameters, name, context)
            return [flag, self._crs_text(crs)] if crs.isValid() else []
        if kind == 'field':
            arguments = []
            for field in self.parameterAsFields(parameters, name, context):
                arguments += [flag, field]
            return arguments
        return [flag, self.parameterAsString(parameters, name, context)]

    @staticmethod
    def _crs_text(crs):
        authid = crs.authid()
        if authid.upper().startswith(PROJ_AUTHORITIES):
            return authid
        return crs.toWkt(QgsCoordinateReferenceSystem.WKT_PREFERRED)

    def _mapped_fields(self, spec, parameters, context):
        """{role field: source field} as chosen in the field parameters."""
        mapped = {}
        for field in spec.get('field_parameters', []):
            if spec.get('multiple'):
                chosen = self.parameterAsString(parameters, field['name'], context)
            else:
                chosen = (self.parameterAsFields(parameters, field['name'], context) or [''])[0]
            if chosen:
                mapped[field['field']] = chosen
        return mapped

    def _warn_unmapped(self, spec, layer, mapped, feedback):
        """A layer with fields but no role field mapped runs as if it had none: say so."""
        if layer is None or mapped or not spec.get('field_parameters'):
            return
        names = [field.name() for field in fields.attribute_fields(layer)]
        if not names or any(fields.named_like(layer, f['field']) for f in spec['field_parameters']):
            return
        for field in spec['field_parameters']:
            feedback.pushWarning(f'{self._label(spec)}: {field["label"]} is empty although the layer has fields '
                                 f'({", ".join(names[:6])}{", …" if len(names) > 6 else ""}). {field["help"]}.')

    def _layer_arguments(self, spec, parameters, context, feedback, workdir):
        name = spec['name']
        flags = spec.get('cli_layer_options') or {}
        layer = self.parameterAsVectorLayer(parameters, name, context)
        if layer is None and not parameters.get(name):
            return []  # an optional layer left out
        source_path, layer_name, crs = self._layer_on_disk(
            name, parameters.get(name), layer, lambda: self.parameterAsSource(parameters, name, context), context,
            feedback, workdir)
        arguments = [spec['cli_flag'], source_path]
        if layer_name and flags.get('layer'):
            arguments += [flags['layer'], layer_name]
        if crs and flags.get('crs'):
            arguments += [flags['crs'], crs]
        mapped = self._mapped_fields(spec, parameters, context)
        self._warn_unmapped(spec, layer, mapped, feedback)
        for role_field, source_field in mapped.items():
            # Unmapped role fields fall back to a source field of the same name (CLI behaviour).
            if source_field != role_field:
                arguments += [flags.get('field', spec['cli_flag'] + '-field'), f'{role_field}={source_field}']
        return arguments

    def _layer_list_arguments(self, spec, parameters, context, feedback, workdir):
        """Each layer of a list as a layer definition file: its own source, layer name, CRS and fields."""
        arguments = []
        mapped = self._mapped_fields(spec, parameters, context)
        for index, layer in enumerate(self.parameterAsLayerList(parameters, spec['name'], context), start=1):
            item = f'{spec["name"]}_{index}'
            path, layer_name, crs = self._layer_on_disk(item, layer.id(), layer, lambda: layer, context, feedback,
                                                        workdir)
            lines = [f'source: {_yaml(path)}', f'role: {spec["role"]}']
            if layer_name:
                lines.append(f'layer: {_yaml(layer_name)}')
            if crs:
                lines.append(f'crs: {_yaml(crs)}')
            if mapped:
                lines.append('fields: {' + ', '.join(f'{k}: {_yaml(v)}' for k, v in mapped.items()) + '}')
            definition = os.path.join(workdir, f'{item}.yaml')
            with open(definition, 'w', encoding='utf-8') as out:
                out.write('\n'.join(lines) + '\n')
            arguments += [spec['cli_flag'], definition]
        return arguments

    def _raster_arguments(self, spec, parameters, context):
        if spec.get('multiple'):
            layers = self.parameterAsLayerList(parameters, spec['name'], context)
        else:
            layer = self.parameterAsRasterLayer(parameters, spec['name'], context)
            layers = [layer] if layer is not None else []
        arguments = []
        for layer in layers:
            if layer.providerType() != 'gdal':
                raise QgsProcessingException(f'{self._label(spec)}: {layer.name()} is not a GDAL raster; save it as '
                                             'a GeoTIFF (Export → Save As…) and choose that')
            arguments += [spec['cli_flag'], layer.source()]
        return arguments

    def _layer_on_disk(self, name, value, layer, source, context, feedback, workdir):
        """(path, layer name, CRS or None) of a GDAL-readable copy of the input.

        A plain OGR file is passed as it is; memory layers, selected features, subset strings,
        feature limits and non-OGR providers are first exported (`source()`) to a temporary GeoPackage.
        """
        plain_request = True
        if isinstance(value, QgsProcessingFeatureSourceDefinition):
            plain_request = (not value.selectedFeaturesOnly and value.featureLimit == -1
                             and not (value.flags & QgsProcessingFeatureSourceDefinition.FlagOverrideDefaultGeometryCheck))
        if plain_request and layer is not None:
            direct = _ogr_file(layer)
            if direct is not None:
                return direct
        return self._export(name, source(), context, feedback, workdir)

    @staticmethod
    def _export(name, source, context, feedback, workdir):
        if source is None:
            raise QgsProcessingException(f'{name}: the layer cannot be read; is it still in the project?')
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
        for feature in source.getFeatures(QgsFeatureRequest()):
            if feedback.isCanceled():
                break
            if not writer.addFeature(feature):
                raise QgsProcessingException(f'{name}: could not export a feature: {writer.errorMessage()}')
        del writer
        return path, name, None


def _yaml(text):
    """A YAML double-quoted scalar."""
    return '"' + str(text).replace('\\', '\\\\').replace('"', '\\"') + '"'


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

#!/usr/bin/python3
"""PyQGIS checks of the twinrisk provider, run by qgis_test.sh (headless, throwaway profile).

Usage: pyqgis_test.py REPO_ROOT CLI_OUTPUT_DIR WORK_DIR CASE
  memory-layer  memory copies of the demo layers give the same result as the CLI on the files,
                and the result layers are queued to load into the project
  selection     'selected features only' reaches twinrisk (only class 1 zones come out)
  cancel        cancelling the feedback stops the twinrisk process and fails the run
  existing-output  checkParameterValues refuses an output folder holding results, in QGIS's words,
                until Overwrite is ticked
  output-crs    output_crs EPSG:3035: layers whose authid() is EPSG:3035, attributes (areas among
                them) equal to the analysis-CRS run of the CLI (relative 1e-9), geometries equal
                to QGIS's own transformation of that run
  auto-crs-name the CLI run's custom CRS (analysis_crs: auto) has a name QGIS displays
  intersection-native  twinrisk:intersection with overlay_fields_prefix equals native:intersection
                on the demo: the same fields, the same pieces, the same areas
  unmapped-warning  a hazard layer with fields run without a class field warns which field is empty
  every-type    the provider on a registry declaring every parameter type and output kind
                (TWINRISK_TEST_BINARY describes it and records a run): QGIS parameter and output
                classes, the command line, the layer definitions of a list, the results
The twinrisk binary is found the provider's own way (PATH first).
"""
import os
import subprocess
import sys
import time

REPO, CLI_OUT, WORK, CASE = sys.argv[1:5]
sys.path[:0] = ['/usr/share/qgis/python/plugins', os.path.join(REPO, 'qgis')]

from qgis.core import (  # noqa: E402
    QgsApplication,
    QgsFeatureRequest,
    QgsProcessingContext,
    QgsProcessingFeatureSourceDefinition,
    QgsProcessingFeedback,
    QgsProcessingUtils,
    QgsProject,
    QgsVectorLayer,
)

# A profile inside WORK_DIR: settings written by the test never reach the user's QGIS.
app = QgsApplication([], False, os.path.join(WORK, 'profile'))
app.initQgis()
from processing.core.Processing import Processing  # noqa: E402
from processing.core.ProcessingConfig import ProcessingConfig  # noqa: E402

Processing.initialize()
import twinrisk_provider  # noqa: E402

plugin = twinrisk_provider.classFactory(None)
plugin.initProcessing()
DEMO = os.path.join(REPO, 'layers', 'demo', 'meuse_nl_be.gpkg')
ALG = 'twinrisk:shared-zones'


class RecordingFeedback(QgsProcessingFeedback):
    def __init__(self, cancel_at=None):
        super().__init__()
        self.errors = []
        self.warnings = []
        self.progress_seen = []
        self.cancel_at = cancel_at

    def reportError(self, error, fatalError=False):  # noqa: N802, N803
        self.errors.append(error)

    def pushWarning(self, warning):  # noqa: N802
        self.warnings.append(warning)
        super().pushWarning(warning)

    def setProgress(self, progress):  # noqa: N802
        self.progress_seen.append(progress)
        if self.cancel_at is not None and progress >= self.cancel_at:
            self.cancel()
        super().setProgress(progress)


def fail(message):
    print(f'FAIL [{CASE}]: {message}')
    sys.exit(1)


def run(parameters, feedback=None, alg=ALG):
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    feedback = feedback or RecordingFeedback()
    algorithm = QgsApplication.processingRegistry().createAlgorithmById(alg)
    if algorithm is None:
        fail(f'{ALG} is not registered')
    results, ok = algorithm.run(parameters, context, feedback)
    return results, ok, context, feedback


def demo_layer(name):
    layer = QgsVectorLayer(f'{DEMO}|layername={name}', name, 'ogr')
    if not layer.isValid():
        fail(f'cannot open {DEMO} layer {name}')
    return layer


def memory_copy(layer):
    copy = layer.materialize(QgsFeatureRequest())
    if copy.providerType() != 'memory' or copy.featureCount() != layer.featureCount():
        fail('materialize did not give a memory layer')
    QgsProject.instance().addMapLayer(copy)
    return copy


def demo_parameters(municipalities, hazard, output):
    return {'municipalities': municipalities, 'municipalities_id_field': 'woe_label',
            'municipalities_name_field': 'name', 'municipalities_country_field': 'iso_a2',
            'hazard': hazard, 'hazard_class_field': 'ffreq', 'output': output}


if CASE == 'memory-layer':
    municipalities = memory_copy(demo_layer('ne_admin1'))
    hazard = memory_copy(demo_layer('meuse_flood_freq_zones'))
    out = os.path.join(WORK, 'memory')
    results, ok, context, feedback = run(demo_parameters(municipalities.id(), hazard.id(), out))
    if not ok:
        fail(f'run failed: {feedback.errors}')
    if not feedback.progress_seen or max(feedback.progress_seen) < 100:
        fail(f'no progress reported: {feedback.progress_seen[:5]}')
    compare = subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), 'compare_outputs.py'),
                              CLI_OUT, out], capture_output=True, text=True)
    if compare.returncode != 0:
        fail('memory-layer result differs from the CLI run:\n' + compare.stdout + compare.stderr)
    to_load = context.layersToLoadOnCompletion()
    for name in ('zones', 'zone_parts'):
        uri = f'{out}/twinrisk.gpkg|layername={name}'
        if results.get(name) != uri or uri not in to_load:
            fail(f'{name}: result {results.get(name)!r} not returned or not queued for loading ({list(to_load)})')
        # As the desktop does on completion: load the layer, then run the attached post-processor,
        # which applies the style twinrisk stored in the GeoPackage.
        layer = QgsProcessingUtils.mapLayerFromString(uri, context)
        post_processor = context.layerToLoadOnCompletionDetails(uri).postProcessor()
        if layer is None or not layer.isValid() or post_processor is None:
            fail(f'{uri}: does not load, or no style post-processor')
        post_processor.postProcessLayer(layer, context, feedback)
        styled = QgsVectorLayer(uri, name, 'ogr')
        styled.loadDefaultStyle()
        if layer.renderer().dump() != styled.renderer().dump():
            fail(f'{name}: the stored style was not applied')
    print('memory-layer:', compare.stdout.strip())

elif CASE == 'selection':
    hazard = demo_layer('meuse_flood_freq_zones')
    QgsProject.instance().addMapLayer(hazard)
    hazard.selectByExpression('"ffreq" = 1')
    selected = hazard.selectedFeatureCount()
    if not 0 < selected < hazard.featureCount():
        fail(f'selection of ffreq = 1 has {selected} features')
    out = os.path.join(WORK, 'selection')
    results, ok, _, feedback = run(demo_parameters(
        f'{DEMO}|layername=ne_admin1', QgsProcessingFeatureSourceDefinition(hazard.id(), True), out))
    if not ok:
        fail(f'run failed: {feedback.errors}')
    zones = QgsVectorLayer(results['zones'], 'zones', 'ogr')
    classes = {f['class'] for f in zones.getFeatures()}
    if classes != {'1'}:
        fail(f'zones of classes {classes}, expected only class 1 (the selection)')
    print(f'selection: {selected} selected hazard features → {zones.featureCount()} zones, all class 1')

elif CASE == 'cancel':
    fake = os.path.join(WORK, 'fake-twinrisk')
    pid_file = os.path.join(WORK, 'fake.pid')
    with open(fake, 'w') as script:
        script.write('#!/bin/sh\necho $$ > "%s"\nfor i in $(seq 0 100); do\n'
                     '  echo "{\\"type\\":\\"progress\\",\\"task\\":\\"fake\\",\\"percent\\":$i}" >&2; sleep 0.2\n'
                     'done\n' % pid_file)
    os.chmod(fake, 0o755)
    real_binary = ProcessingConfig.getSetting('TWINRISK_BINARY')
    ProcessingConfig.setSettingValue('TWINRISK_BINARY', fake)
    started = time.monotonic()
    results, ok, _, feedback = run(demo_parameters(f'{DEMO}|layername=ne_admin1',
                                                   f'{DEMO}|layername=meuse_flood_freq_zones',
                                                   os.path.join(WORK, 'cancel')), RecordingFeedback(cancel_at=3))
    elapsed = time.monotonic() - started
    ProcessingConfig.setSettingValue('TWINRISK_BINARY', real_binary)
    if ok:
        fail('a cancelled run reported success')
    if not any('cancelled' in e for e in feedback.errors):
        fail(f'no cancellation message: {feedback.errors}')
    if elapsed > 10:
        fail(f'cancelling took {elapsed:.1f} s')
    with open(pid_file) as pid_text:
        pid = int(pid_text.read())
    try:
        os.kill(pid, 0)
        fail(f'the twinrisk process {pid} still runs after cancelling')
    except ProcessLookupError:
        pass
    print(f'cancel: stopped after {elapsed:.1f} s: {feedback.errors[0]}')

elif CASE == 'existing-output':
    algorithm = QgsApplication.processingRegistry().createAlgorithmById(ALG)
    context = QgsProcessingContext()
    parameters = demo_parameters(f'{DEMO}|layername=ne_admin1', f'{DEMO}|layername=meuse_flood_freq_zones', CLI_OUT)
    ok, message = algorithm.checkParameterValues(parameters, context)
    if ok or 'the output folder already holds results — tick Overwrite' not in message:
        fail(f'an output folder with results was accepted, or not in QGIS\'s words: {ok} {message!r}')
    if '--overwrite' in message or ' -o' in message:
        fail(f'the message names command-line options: {message!r}')
    ok_overwrite, _ = algorithm.checkParameterValues(dict(parameters, overwrite=True), context)
    ok_new, _ = algorithm.checkParameterValues(dict(parameters, output=os.path.join(WORK, 'new')), context)
    if not (ok_overwrite and ok_new):
        fail(f'refused with Overwrite ticked ({ok_overwrite}) or for a new folder ({ok_new})')
    print(f'existing-output: {message}')

elif CASE == 'output-crs':
    out = os.path.join(WORK, 'laea')
    results, ok, _, feedback = run(dict(demo_parameters(f'{DEMO}|layername=ne_admin1',
                                                        f'{DEMO}|layername=meuse_flood_freq_zones', out),
                                        output_crs='EPSG:3035'))
    if not ok:
        fail(f'run failed: {feedback.errors}')
    from qgis.core import QgsCoordinateReferenceSystem, QgsCoordinateTransform
    target = QgsCoordinateReferenceSystem('EPSG:3035')
    compared = 0
    for name in ('zones', 'zone_parts'):
        ours = QgsVectorLayer(results[name], name, 'ogr')
        theirs = QgsVectorLayer(f'{CLI_OUT}/twinrisk.gpkg|layername={name}', name, 'ogr')
        if ours.crs().authid() != 'EPSG:3035':
            fail(f'{name}: CRS {ours.crs().authid()!r} ({ours.crs().description()}), not EPSG:3035')
        if theirs.crs().authid():
            fail(f'{name}: the CLI run was meant to stay in the custom auto CRS, not {theirs.crs().authid()}')
        transform = QgsCoordinateTransform(theirs.crs(), target, QgsProject.instance())
        pairs = list(zip(ours.getFeatures(), theirs.getFeatures()))
        if len(pairs) != theirs.featureCount() or ours.featureCount() != theirs.featureCount():
            fail(f'{name}: {ours.featureCount()} features, the CLI run has {theirs.featureCount()}')
        for a, b in pairs:
            for field in theirs.fields().names():
                va, vb = a[field], b[field]
                same = abs(va - vb) <= 1e-9 * max(abs(va), abs(vb)) if isinstance(vb, float) else va == vb
                if not same:
                    fail(f'{name} {b.id()}: {field} = {va!r}, the analysis-CRS run has {vb!r}')
            geometry = b.geometry()
            geometry.transform(transform)
            if abs(a.geometry().area() - geometry.area()) > 1e-6 * geometry.area():
                fail(f'{name} {b.id()}: area in EPSG:3035 {a.geometry().area()} vs QGIS\'s transform {geometry.area()}')
            compared += 1
    print(f'output-crs: {compared} features in EPSG:3035, attributes equal to the analysis-CRS run')

elif CASE == 'auto-crs-name':
    layer = QgsVectorLayer(f'{CLI_OUT}/twinrisk.gpkg|layername=zones', 'zones', 'ogr')
    crs = layer.crs()
    if not crs.isValid() or not crs.description().startswith('twinrisk auto: Lambert azimuthal equal-area'):
        fail(f'the auto CRS shows as {crs.description()!r} (valid: {crs.isValid()})')
    if not crs.userFriendlyIdentifier().startswith('twinrisk auto'):
        fail(f'QGIS calls it {crs.userFriendlyIdentifier()!r}')
    print(f'auto-crs-name: {crs.userFriendlyIdentifier()}')

elif CASE == 'intersection-native':
    import processing
    from qgis.core import QgsCoordinateReferenceSystem
    laea = QgsCoordinateReferenceSystem('EPSG:3035')
    inputs = {}
    for name in ('meuse_flood_freq_zones', 'ne_admin1'):
        inputs[name] = processing.run('native:reprojectlayer', {
            'INPUT': f'{DEMO}|layername={name}', 'TARGET_CRS': laea, 'OUTPUT': os.path.join(WORK, f'{name}.gpkg')
        })['OUTPUT']
    native = processing.run('native:intersection', {
        'INPUT': inputs['meuse_flood_freq_zones'], 'OVERLAY': inputs['ne_admin1'],
        'OVERLAY_FIELDS': ['fid', 'name', 'iso_a2'], 'OVERLAY_FIELDS_PREFIX': 'nl_be_',
        'OUTPUT': 'TEMPORARY_OUTPUT'})['OUTPUT']  # a memory layer: its fid stays a field
    out = os.path.join(WORK, 'intersection')
    results, ok, _, feedback = run({
        'input': f'{DEMO}|layername=meuse_flood_freq_zones', 'overlay': f'{DEMO}|layername=ne_admin1',
        'overlay_fields': ['fid', 'name', 'iso_a2'], 'overlay_fields_prefix': 'nl_be_',
        'analysis_crs': 'EPSG:3035', 'output': out}, alg='twinrisk:intersection')
    if not ok:
        fail(f'run failed: {feedback.errors}')
    ours = QgsVectorLayer(results['intersection'], 'ours', 'ogr')
    # native keeps the input's fid as a field ("fid", which a GeoPackage makes its feature id); ours
    # is the piece's own fid; twinrisk adds area_m2.
    native_fields = [f for f in native.fields().names() if f != 'fid']
    our_fields = [f for f in ours.fields().names() if f not in ('fid', 'area_m2')]
    if native_fields != our_fields:
        fail(f'fields {our_fields}, native:intersection gives {native_fields}')

    def pieces(layer):
        out = []
        for feature in layer.getFeatures():
            centre = feature.geometry().centroid().asPoint()
            key = tuple(feature[f] for f in native_fields) + (round(centre.x()), round(centre.y()))
            out.append((key, feature.geometry().area(), feature))
        return sorted(out, key=lambda item: item[0])

    mine, theirs = pieces(ours), pieces(native)
    if [k for k, _, _ in mine] != [k for k, _, _ in theirs]:
        fail(f'{len(mine)} pieces, native has {len(theirs)}, or they differ: {[k for k, _, _ in mine][:3]} vs '
             f'{[k for k, _, _ in theirs][:3]}')
    worst = 0.0
    for (key, area, feature), (_, native_area, _) in zip(mine, theirs):
        worst = max(worst, abs(area - native_area) / native_area)
        if abs(feature['area_m2'] - native_area) > 1e-6 * native_area:
            fail(f'piece {key}: area_m2 {feature["area_m2"]}, native\'s geometry {native_area}')
    if worst > 1e-6:
        fail(f'piece areas differ from native by up to {worst:.2e} (relative)')
    total = sum(a for _, a, _ in theirs)
    print(f'intersection-native: {len(mine)} pieces, fields {our_fields}, areas within {worst:.1e} of native '
          f'({total / 1e6:.3f} km²)')

elif CASE == 'unmapped-warning':
    parameters = demo_parameters(f'{DEMO}|layername=ne_admin1', f'{DEMO}|layername=meuse_flood_freq_zones',
                                 os.path.join(WORK, 'unmapped'))
    del parameters['hazard_class_field']
    results, ok, _, feedback = run(parameters)
    if not ok:
        fail(f'run failed: {feedback.errors}')
    warning = next((w for w in feedback.warnings if 'Hazard class field is empty' in w), None)
    if warning is None or 'ffreq' not in warning:
        fail(f'no warning that the class field is empty: {feedback.warnings}')
    _, ok, _, quiet = run(demo_parameters(f'{DEMO}|layername=ne_admin1', f'{DEMO}|layername=meuse_flood_freq_zones',
                                          os.path.join(WORK, 'mapped')))
    if any('is empty' in w for w in quiet.warnings):
        fail(f'a warning although every field is mapped: {quiet.warnings}')
    print(f'unmapped-warning: {warning}')

elif CASE == 'every-type':
    from qgis.core import (QgsProcessing, QgsProcessingOutputFile, QgsProcessingOutputFolder, QgsProcessingOutputHtml,
                           QgsProcessingOutputVectorLayer, QgsProcessingParameterBoolean, QgsProcessingParameterCrs,
                           QgsProcessingParameterEnum, QgsProcessingParameterFeatureSource,
                           QgsProcessingParameterField, QgsProcessingParameterFolderDestination,
                           QgsProcessingParameterMultipleLayers, QgsProcessingParameterNumber,
                           QgsProcessingParameterRasterLayer, QgsProcessingParameterString)
    fake = os.environ['TWINRISK_TEST_BINARY']
    argv_dir = os.path.join(os.path.dirname(fake), 'argv')
    ProcessingConfig.setSettingValue('TWINRISK_BINARY', fake)
    provider = QgsApplication.processingRegistry().providerById('twinrisk')
    provider.refreshAlgorithms()
    algorithm = QgsApplication.processingRegistry().createAlgorithmById('twinrisk:every-type')
    if algorithm is None:
        fail(f'twinrisk:every-type not offered ({[a.id() for a in provider.algorithms()]})')
    expected = {
        'zones': (QgsProcessingParameterFeatureSource, False), 'zones_class_field': (QgsProcessingParameterField, True),
        'assets': (QgsProcessingParameterMultipleLayers, False),
        'assets_category_field': (QgsProcessingParameterString, True),
        'pairs': (QgsProcessingParameterFeatureSource, True), 'pairs_a_field': (QgsProcessingParameterField, False),
        'pairs_b_field': (QgsProcessingParameterField, False), 'dem': (QgsProcessingParameterRasterLayer, False),
        'keep': (QgsProcessingParameterField, True), 'buffer_m': (QgsProcessingParameterNumber, False),
        'count': (QgsProcessingParameterNumber, False), 'strict': (QgsProcessingParameterBoolean, False),
        'method': (QgsProcessingParameterEnum, False), 'label_crs': (QgsProcessingParameterCrs, False),
        'title': (QgsProcessingParameterString, False), 'analysis_crs': (QgsProcessingParameterCrs, True),
        'output_crs': (QgsProcessingParameterCrs, True), 'overwrite': (QgsProcessingParameterBoolean, False),
        'threads': (QgsProcessingParameterNumber, False), 'output': (QgsProcessingParameterFolderDestination, False),
    }
    definitions = {d.name(): d for d in algorithm.parameterDefinitions()}
    if sorted(definitions) != sorted(expected):
        fail(f'parameters {sorted(definitions)}, expected {sorted(expected)}')
    for name, (kind, optional) in expected.items():
        definition = definitions[name]
        is_optional = bool(definition.flags() & definition.FlagOptional)
        if not isinstance(definition, kind) or is_optional != optional:
            fail(f'{name}: {type(definition).__name__} (optional {is_optional}), expected {kind.__name__} ({optional})')
    checks = [
        (definitions['zones_class_field'].parentLayerParameterName(), 'zones'),
        (definitions['pairs_a_field'].parentLayerParameterName(), 'pairs'),
        (definitions['pairs'].dataTypes(), [QgsProcessing.TypeVector]),
        (definitions['assets'].layerType(), QgsProcessing.TypeVectorAnyGeometry),
        ((definitions['keep'].parentLayerParameterName(), definitions['keep'].allowMultiple()), ('zones', True)),
        ((definitions['buffer_m'].minimum(), definitions['buffer_m'].defaultValue()), (0.0, 10.0)),
        (definitions['count'].dataType(), QgsProcessingParameterNumber.Integer),
        ((definitions['method'].options(), definitions['method'].defaultValue()), (['mean', 'max'], 1)),
        (definitions['label_crs'].defaultValue(), 'EPSG:4326'),
        (definitions['title'].defaultValue(), 'Risk'),
    ]
    for got, want in checks:
        if got != want:
            fail(f'{got!r}, expected {want!r}')
    outputs = {o.name(): type(o) for o in algorithm.outputDefinitions()}
    want_outputs = {'exposed': QgsProcessingOutputVectorLayer, 'by_zone': QgsProcessingOutputVectorLayer,
                    'maps_overview_png': QgsProcessingOutputFile, 'report_index_html': QgsProcessingOutputHtml,
                    'manifest': QgsProcessingOutputFile, 'output': QgsProcessingOutputFolder}
    if outputs != want_outputs:
        fail(f'outputs {outputs}')

    assets = [demo_layer('ne_admin1'), demo_layer('meuse_river')]
    for layer in assets:
        QgsProject.instance().addMapLayer(layer)
    twinning = os.path.join(REPO, 'tests', 'data', 'twinning.csv')
    dem = os.path.join(REPO, 'layers', 'demo', 'meuse_dem_idw40m.tif')
    out = os.path.join(WORK, 'every')
    results, ok, context, feedback = run({
        'zones': f'{DEMO}|layername=meuse_flood_freq_zones', 'zones_class_field': 'ffreq',
        'assets': [layer.id() for layer in assets], 'assets_category_field': 'name',
        'pairs': twinning, 'pairs_a_field': 'a', 'pairs_b_field': 'note', 'dem': dem, 'keep': ['ffreq'],
        'buffer_m': 2.5, 'method': 0, 'output_crs': 'EPSG:3035', 'output': out}, alg='twinrisk:every-type')
    if not ok:
        fail(f'run failed: {feedback.errors}')
    with open(os.path.join(argv_dir, 'argv')) as recorded:
        argv = recorded.read().split('\n')[:-1]
    definitions_given = [a for i, a in enumerate(argv) if i > 0 and argv[i - 1] == '--assets']
    want = ['--progress', 'json', 'every-type',
            '--zones', DEMO, '--zones-layer', 'meuse_flood_freq_zones', '--zones-field', 'class=ffreq',
            '--assets', definitions_given[0] if definitions_given else '?',
            '--assets', definitions_given[1] if len(definitions_given) > 1 else '?',
            '--pairs', twinning, '--pairs-layer', 'twinning', '--pairs-field', 'b=note',
            '--dem', dem, '--keep', 'ffreq', '--buffer-m', '2.5', '--count', '3', '--strict', 'false',
            '--method', 'mean', '--label-crs', 'EPSG:4326', '--title', 'Risk']
    if argv[:len(want)] != want:
        fail(f'command line\n  {argv[:len(want)]}\nexpected\n  {want}')
    rest = argv[len(want):]
    for pair in (['--output-crs', 'EPSG:3035'], ['--output', out], ['--threads', '0']):
        if not any(rest[i:i + 2] == pair for i in range(len(rest))):
            fail(f'{pair} not in {rest}')
    for path, layer_name in zip(definitions_given, ('ne_admin1', 'meuse_river')):
        with open(os.path.join(argv_dir, os.path.basename(path))) as definition:
            text = definition.read()
        for line in (f'source: "{DEMO}"', 'role: infrastructure', f'layer: "{layer_name}"',
                     'fields: {category: "name"}'):
            if line not in text.splitlines():
                fail(f'{os.path.basename(path)} lacks {line!r}:\n{text}')
    want_results = {'exposed': f'{out}/twinrisk.gpkg|layername=exposed', 'by_zone': f'{out}/tables/by_zone.csv',
                    'maps_overview_png': f'{out}/maps/overview.png', 'report_index_html': f'{out}/report/index.html',
                    'manifest': f'{out}/manifest.json', 'output': out}
    if results != want_results:
        fail(f'results {results}')
    table_uri = f'{out}/tables/by_zone.csv|option:AUTODETECT_TYPE=YES'
    if table_uri not in context.layersToLoadOnCompletion():
        fail(f'the table is not queued for loading: {list(context.layersToLoadOnCompletion())}')
    table = QgsVectorLayer(table_uri, 'by_zone', 'ogr')
    if table.isSpatial() or table.featureCount() != 2 or table.fields().field('exposed').typeName() != 'Integer':
        fail('the queued table does not load as a typed table')
    print(f'every-type: {len(definitions)} parameters, {len(outputs)} outputs; command line and results as expected')

else:
    fail('unknown case')

plugin.unload()
QgsProject.instance().removeAllMapLayers()
sys.stdout.flush()
# exitQgis() after layers with selections have lived in the project can crash in 3.22's teardown;
# every check has run, so leave without it.
os._exit(0)

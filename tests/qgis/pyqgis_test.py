#!/usr/bin/python3
"""PyQGIS checks of the twinrisk provider, run by qgis_test.sh (headless, throwaway profile).

Usage: pyqgis_test.py REPO_ROOT CLI_OUTPUT_DIR WORK_DIR CASE
  memory-layer  memory copies of the demo layers give the same result as the CLI on the files,
                and the result layers are queued to load into the project
  selection     'selected features only' reaches twinrisk (only class 1 zones come out)
  cancel        cancelling the feedback stops the twinrisk process and fails the run
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
        self.progress_seen = []
        self.cancel_at = cancel_at

    def reportError(self, error, fatalError=False):  # noqa: N802, N803
        self.errors.append(error)

    def setProgress(self, progress):  # noqa: N802
        self.progress_seen.append(progress)
        if self.cancel_at is not None and progress >= self.cancel_at:
            self.cancel()
        super().setProgress(progress)


def fail(message):
    print(f'FAIL [{CASE}]: {message}')
    sys.exit(1)


def run(parameters, feedback=None):
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    feedback = feedback or RecordingFeedback()
    algorithm = QgsApplication.processingRegistry().createAlgorithmById(ALG)
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

else:
    fail('unknown case')

plugin.unload()
QgsProject.instance().removeAllMapLayers()
sys.stdout.flush()
# exitQgis() after layers with selections have lived in the project can crash in 3.22's teardown;
# every check has run, so leave without it.
os._exit(0)

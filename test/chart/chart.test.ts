import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import {
  checkBlockBalance,
  checkValuesReferences,
  checkValuesTable,
  defineBlocks,
  envMapping,
  fieldRefs,
  formatDefault,
  getPath,
  hasPath,
  isPlainObject,
  leafPaths,
  mergeValues,
  lexTemplate,
  parseValuesTables,
  schemaPropertyPaths,
  validateSchema,
  yamlBlock,
  type PlainObject,
} from './chart-checks';

const chartDir = fileURLToPath(new URL('../../charts/pcap-analyzer', import.meta.url));
const templatesDir = join(chartDir, 'templates');
const read = (...parts: string[]): string => readFileSync(join(chartDir, ...parts), 'utf8');
const parseYaml = (text: string): unknown => {
  const doc: unknown = parse(text);
  return doc;
};

const chart = parseYaml(read('Chart.yaml'));
const values = parseYaml(read('values.yaml'));
const schema: unknown = JSON.parse(read('values.schema.json'));
const templateFiles = readdirSync(templatesDir).filter((f) => !f.startsWith('.'));
const deployment = read('templates', 'deployment.yaml');
const helpers = read('templates', '_helpers.tpl');

const valueAt = (path: string): unknown => getPath(values, path.split('.'));

// -------------------------------------------------------------------------------------------------
// The checkers themselves must be able to fail.
// -------------------------------------------------------------------------------------------------

describe('chart checkers (on small inline examples)', () => {
  const sample = { a: { b: 1, list: [], empty: {} }, s: '', n: null, img: { tag: 'x' } };

  it('leafPaths treats scalars, arrays and empty objects as leaves', () => {
    expect([...leafPaths(sample).keys()]).toEqual(['a.b', 'a.list', 'a.empty', 's', 'n', 'img.tag']);
    expect(hasPath(sample, ['n'])).toBe(true);
    expect(hasPath(sample, ['a', 'c'])).toBe(false);
    expect(hasPath(sample, ['a', 'b', 'c'])).toBe(false);
  });

  it('mergeValues merges like Helm', () => {
    expect(mergeValues({ a: { b: 1, c: 2 }, d: [1] }, { a: { b: 3, c: null }, d: [2] })).toEqual({ a: { b: 3 }, d: [2] });
  });

  it('formatDefault writes defaults as the README does', () => {
    expect(formatDefault('')).toBe('""');
    expect(formatDefault('10Gi')).toBe('10Gi');
    expect(formatDefault(2)).toBe('2');
    expect(formatDefault(false)).toBe('false');
    expect(formatDefault(['ALL'])).toBe('["ALL"]');
    expect(formatDefault({})).toBe('{}');
  });

  it('lexes actions, skipping string literals and comments', () => {
    const { actions, errors } = lexTemplate('a {{- /* c {{ }} */ -}} b {{ "}}" | quote }} {{ `{{x}}` }}');
    expect(errors).toEqual([]);
    expect(actions.map((a) => [a.text, a.isComment])).toEqual([
      ['/* c {{ }} */', true],
      ['"}}" | quote', false],
      ['`{{x}}`', false],
    ]);
  });

  it('reports unbalanced delimiters', () => {
    expect(lexTemplate('x: {{ .Values.a').errors).toHaveLength(1);
    expect(lexTemplate('x: {{ .Values.a }\ny: {{ .Values.b }}').errors[0]).toMatch(/opened before/);
    expect(lexTemplate('x: { .Values.a }}').errors[0]).toMatch(/without a matching/);
    expect(lexTemplate('x: {{ "abc }}').errors[0]).toMatch(/unterminated string/);
    expect(lexTemplate('{{/* open comment }}').errors).toHaveLength(1);
  });

  it('reports unbalanced blocks', () => {
    expect(checkBlockBalance('{{ if .Values.a }}x{{ else }}y{{ end }}')).toEqual([]);
    expect(checkBlockBalance('{{- define "x" }}{{ with .Values.a }}{{ end }}{{- end }}')).toEqual([]);
    expect(checkBlockBalance('{{ if .Values.a }}x')[0]).toMatch(/"if" block is never closed/);
    expect(checkBlockBalance('{{ define "x" }}{{ with .a }}{{ end }}')[0]).toMatch(/"define" block/);
    expect(checkBlockBalance('x{{ end }}')[0]).toMatch(/"end" without an open block/);
    expect(checkBlockBalance('{{ else }}')[0]).toMatch(/"else" outside/);
    expect(checkBlockBalance('{{ if .a }}{{ "{{ end }}" }}')).toHaveLength(1);
  });

  it('finds field chains but not variables, strings or numbers', () => {
    const refs = fieldRefs('$x := add .Values.a.b 0.5 | printf "%s .Values.nope" $y.z (include "n" .) $.Release.Name');
    expect(refs).toEqual([
      { absolute: false, fields: ['Values', 'a', 'b'] },
      { absolute: true, fields: ['Release', 'Name'] },
    ]);
  });

  it('flags a template referencing a value missing from values.yaml', () => {
    const vals = { env: { dataDir: '/data' }, list: [], podLabels: {} };
    expect(checkValuesReferences('v: {{ .Values.env.dataDir | quote }}', vals)).toEqual([]);
    expect(checkValuesReferences('v: {{ .Values.env.dataDirr | quote }}', vals)[0]).toMatch(/env\.dataDirr.*not in values/);
    expect(checkValuesReferences('{{- if .Values.env.missing }}x{{ end }}', vals)).toHaveLength(1);
    expect(checkValuesReferences('{{ toYaml .Values.resources | nindent 4 }}', vals)).toHaveLength(1);
    expect(checkValuesReferences('{{ .Value.env.dataDir }}', vals)[0]).toMatch(/not a Helm built-in/);
    expect(checkValuesReferences('{{/* .Values.commented.out */}}', vals)).toEqual([]);
  });

  it('follows the dot through with, else and range blocks', () => {
    const vals = { env: { dataDir: '/data' }, list: [] };
    expect(checkValuesReferences('{{ with .Values.env }}{{ .dataDir }}{{ $.Release.Name }}{{ end }}', vals)).toEqual([]);
    expect(checkValuesReferences('{{ with .Values.env }}{{ .logLevel }}{{ end }}', vals)[0]).toMatch(/env\.logLevel/);
    // A classic bug: .Release inside a with-block.
    expect(checkValuesReferences('{{ with .Values.env }}{{ .Release.Name }}{{ end }}', vals)).toHaveLength(1);
    // In the else branch of a with, the dot is the outer one again.
    expect(checkValuesReferences('{{ with .Values.env }}{{ .dataDir }}{{ else }}{{ .Values.env }}{{ end }}', vals)).toEqual([]);
    expect(checkValuesReferences('{{ range .Values.list }}{{ .name }}{{ $.Values.env.dataDir }}{{ end }}', vals)).toEqual([]);
    expect(checkValuesReferences('{{ range .Values.list }}{{ .Values.env.dataDir }}{{ end }}', vals)[0]).toMatch(/range/);
    expect(checkValuesReferences('{{ range .Values.list }}{{ $.Values.nope }}{{ end }}', vals)).toHaveLength(1);
    // After end, the dot is the root again.
    expect(checkValuesReferences('{{ with .Values.env }}{{ end }}{{ .Values.env.dataDir }}', vals)).toEqual([]);
    // define bodies are written for the root context.
    expect(checkValuesReferences('{{ define "x" }}{{ .Values.nope }}{{ end }}', vals)).toHaveLength(1);
  });

  it('extracts define bodies', () => {
    const blocks = defineBlocks('{{- define "a" -}}A{{ if .x }}{{ end }}{{- end }}\n{{ define "b" }}B{{ end }}');
    expect(blocks.get('a')).toBe('A{{ if .x }}{{ end }}');
    expect(blocks.get('b')).toBe('B');
  });

  it('flags README values tables that drift from values.yaml', () => {
    const vals = { image: { tag: 'latest' }, nameOverride: '', list: [] };
    const good = [
      '| Parameter | Description | Default |',
      '|---|---|---|',
      '| `image.tag` | Tag | `latest` |',
      '| `nameOverride` | Name | `""` |',
      '| `list` | List | `[]` |',
    ].join('\n');
    expect(parseValuesTables(good)).toHaveLength(3);
    expect(checkValuesTable(good, vals)).toEqual([]);
    expect(checkValuesTable(good.replace('`latest` |', '`v1` |'), vals)[0]).toMatch(/default of "image.tag"/);
    expect(checkValuesTable(good.replace(/\n\| `list`.*$/, ''), vals)[0]).toMatch(/"list" is missing/);
    expect(checkValuesTable(`${good}\n| \`extra\` | Extra | \`1\` |`, vals)[0]).toMatch(/not a leaf value/);
    expect(checkValuesTable(`${good}\n| \`list\` | Again | \`[]\` |`, vals)[0]).toMatch(/listed twice/);
    expect(checkValuesTable('no table', vals)[0]).toMatch(/no .* table found/);
    // Tables inside code fences are examples, not documentation.
    expect(parseValuesTables('```\n| Parameter | Description | Default |\n|---|---|---|\n| `a` | b | `c` |\n```')).toEqual([]);
  });

  it('maps env variable names to their value expressions', () => {
    const src = 'env:\n  - name: PORT\n    value: {{ .Values.containerPort | quote }}\n  - name: LOG_LEVEL\n    value: "INFO"\n';
    expect([...envMapping(src)]).toEqual([
      ['PORT', '{{ .Values.containerPort | quote }}'],
      ['LOG_LEVEL', '"INFO"'],
    ]);
    expect(() => envMapping(`${src}  - name: PORT\n    value: "1"\n`)).toThrow(/PORT is set twice/);
  });

  it('extracts an indented YAML block', () => {
    const src = 'a:\n  livenessProbe:\n    httpGet:\n      path: /x\n  readinessProbe:\n    path: /y\n';
    expect(yamlBlock(src, 'livenessProbe')).toBe('  livenessProbe:\n    httpGet:\n      path: /x');
    expect(yamlBlock(src, 'startupProbe')).toBeNull();
  });

  it('validates values against a JSON schema subset', () => {
    const s = {
      type: 'object',
      definitions: { port: { type: 'integer', minimum: 1, maximum: 65535 } },
      properties: {
        port: { $ref: '#/definitions/port' },
        level: { type: 'string', enum: ['INFO', 'DEBUG'] },
        size: { anyOf: [{ type: 'integer' }, { type: 'string', pattern: '^[0-9]+$' }] },
        strict: { type: 'object', properties: { a: { type: 'boolean' } }, additionalProperties: false },
      },
      required: ['port'],
    };
    expect(validateSchema({ port: 80, level: 'INFO', size: '12', strict: { a: true } }, s)).toEqual([]);
    expect(validateSchema({ port: 0 }, s)[0]).toMatch(/0 < 1/);
    expect(validateSchema({ port: 'x' }, s)[0]).toMatch(/expected "integer"/);
    expect(validateSchema({ port: 1, level: 'TRACE' }, s)[0]).toMatch(/not one of/);
    expect(validateSchema({ port: 1, size: '12a' }, s)[0]).toMatch(/anyOf/);
    expect(validateSchema({ port: 1, strict: { b: 1 } }, s)[0]).toMatch(/strict\.b: not allowed/);
    expect(validateSchema({}, s)[0]).toMatch(/missing required "port"/);
    expect(validateSchema(1, { type: 'integer', exclusiveMinimum: 0 })[0]).toMatch(/unsupported schema keyword/);
  });
});

// -------------------------------------------------------------------------------------------------
// The real chart.
// -------------------------------------------------------------------------------------------------

describe('Chart.yaml and chart files', () => {
  it('is a v2 application chart named pcap-analyzer, appVersion 0.1.0', () => {
    expect(isPlainObject(chart)).toBe(true);
    const c = chart as PlainObject;
    expect(c.apiVersion).toBe('v2');
    expect(c.name).toBe('pcap-analyzer');
    expect(c.type).toBe('application');
    expect(c.appVersion).toBe('0.1.0');
    expect(String(c.version)).toMatch(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/);
    expect(typeof c.description).toBe('string');
  });

  it('has every expected file', () => {
    for (const f of ['.helmignore', 'README.md', 'values.yaml', 'values.schema.json']) {
      expect(existsSync(join(chartDir, f)), f).toBe(true);
    }
    for (const f of [
      '_helpers.tpl',
      'NOTES.txt',
      'deployment.yaml',
      'service.yaml',
      'pvc.yaml',
      'serviceaccount.yaml',
      'ingress.yaml',
      'networkpolicy.yaml',
    ]) {
      expect(templateFiles, f).toContain(f);
    }
  });
});

describe('values.yaml defaults (from the deployment contract)', () => {
  it.each<[string, unknown]>([
    ['replicaCount', 1],
    ['image.repository', 'pcap-analyzer'],
    ['image.tag', 'latest'],
    ['image.pullPolicy', 'Never'],
    ['service.type', 'NodePort'],
    ['service.port', 8000],
    ['service.nodePort', 30080],
    ['containerPort', 8000],
    ['persistence.enabled', true],
    ['persistence.size', '10Gi'],
    ['persistence.storageClass', 'standard'],
    ['resources.limits.memory', '4Gi'],
    ['resources.limits.cpu', 2],
    ['resources.requests.memory', '1Gi'],
    ['resources.requests.cpu', 1],
    ['env.maxUploadSizeMB', 500],
    ['env.reportTTLHours', 24],
    ['env.dataDir', '/data'],
    ['env.logLevel', 'INFO'],
    ['env.maxQueueSize', 5],
    ['ingress.enabled', false],
    ['networkPolicy.enabled', false],
    ['podSecurityContext.runAsNonRoot', true],
    ['podSecurityContext.runAsUser', 1000],
    ['podSecurityContext.fsGroup', 1000],
    ['podSecurityContext.seccompProfile.type', 'RuntimeDefault'],
    ['securityContext.runAsNonRoot', true],
    ['securityContext.runAsUser', 1000],
    ['securityContext.readOnlyRootFilesystem', true],
    ['securityContext.allowPrivilegeEscalation', false],
    ['securityContext.capabilities.drop', ['ALL']],
    ['securityContext.seccompProfile.type', 'RuntimeDefault'],
  ])('%s = %j', (path, expected) => {
    expect(valueAt(path)).toEqual(expected);
  });
});

describe('values.schema.json', () => {
  it('accepts the default values', () => {
    expect(validateSchema(values, schema)).toEqual([]);
  });

  it('accepts the custom values file of the README example', () => {
    const readme = read('README.md');
    const block = readme.match(/Create `my-values.yaml`:\s*```yaml\n([\s\S]*?)```/);
    expect(block).not.toBeNull();
    const custom = parseYaml(block?.[1] ?? '');
    expect(getPath(custom, ['env', 'maxUploadSizeMB'])).toBe('1000');
    expect(validateSchema(custom, schema)).not.toEqual([]); // alone it lacks required values...
    expect(validateSchema(mergeValues(values, custom), schema)).toEqual([]); // ...merged over the defaults it is valid
  });

  it('rejects values that cannot work', () => {
    const withOverride = (path: string[], v: unknown): unknown =>
      mergeValues(values, path.reduceRight<unknown>((acc, key) => ({ [key]: acc }), v));
    expect(validateSchema(withOverride(['replicaCount'], 2), schema)).not.toEqual([]);
    expect(validateSchema(withOverride(['image', 'pullPolicy'], 'Sometimes'), schema)).not.toEqual([]);
    expect(validateSchema(withOverride(['service', 'type'], 'ExternalName'), schema)).not.toEqual([]);
    expect(validateSchema(withOverride(['env', 'maxUploadSizeMB'], '12a'), schema)).not.toEqual([]);
    expect(validateSchema(withOverride(['env', 'dataDir'], 'data'), schema)).not.toEqual([]);
    expect(validateSchema(withOverride(['env', 'logLevel'], 'TRACE'), schema)).not.toEqual([]);
  });

  it('describes exactly the top-level values, and only paths that exist', () => {
    const top = schemaPropertyPaths(schema).filter((p) => p.length === 1).map((p) => p[0]);
    expect([...top].sort()).toEqual(Object.keys(values as PlainObject).sort());
    for (const path of schemaPropertyPaths(schema)) expect(hasPath(values, path), path.join('.')).toBe(true);
  });
});

describe('templates', () => {
  it.each(templateFiles)('%s: delimiters and blocks balance', (file) => {
    expect(checkBlockBalance(read('templates', file))).toEqual([]);
  });

  it.each(templateFiles)('%s: every .Values reference exists in values.yaml', (file) => {
    expect(checkValuesReferences(read('templates', file), values, file)).toEqual([]);
  });

  it('reference every top-level value somewhere', () => {
    const all = templateFiles.map((f) => read('templates', f)).join('\n');
    for (const key of Object.keys(values as PlainObject)) {
      expect(all, key).toMatch(new RegExp(`\\.Values\\.${key}\\b`));
    }
  });
});

describe('deployment template', () => {
  const env = envMapping(deployment);

  it.each([
    ['PORT', 'containerPort'],
    ['MAX_UPLOAD_SIZE_MB', 'env.maxUploadSizeMB'],
    ['REPORT_TTL_HOURS', 'env.reportTTLHours'],
    ['DATA_DIR', 'env.dataDir'],
    ['LOG_LEVEL', 'env.logLevel'],
    ['MAX_QUEUE_SIZE', 'env.maxQueueSize'],
  ])('sets %s from .Values.%s (quoted)', (name, path) => {
    const expr = env.get(name);
    expect(expr, name).toBeDefined();
    expect(expr).toMatch(new RegExp(`^{{ \\.Values\\.${path.replace('.', '\\.')} (\\| upper )?\\| quote }}$`));
  });

  it('listens on the container port named http, which the Service targets', () => {
    const ports = yamlBlock(deployment, 'ports') ?? '';
    expect(ports).toMatch(/- name: http\s+containerPort: {{ \.Values\.containerPort }}/);
    expect(read('templates', 'service.yaml')).toMatch(/targetPort: http/);
  });

  it.each([
    ['livenessProbe', '/api/health/live'],
    ['readinessProbe', '/api/health'],
    ['startupProbe', '/api/health/live'],
  ])('%s calls GET %s on the http port', (probe, path) => {
    const block = yamlBlock(deployment, probe);
    expect(block, probe).not.toBeNull();
    expect(block).toMatch(new RegExp(`httpGet:\\s+path: ${path.replace(/\//g, '\\/')}\\s*\\n\\s+port: http`));
  });

  it('applies the pod and container security contexts from values', () => {
    expect(deployment).toMatch(/{{- with \.Values\.podSecurityContext }}\s+securityContext:\s+{{- toYaml \. \| nindent 8 }}/);
    expect(deployment).toMatch(/{{- with \.Values\.securityContext }}\s+securityContext:\s+{{- toYaml \. \| nindent 12 }}/);
    expect(deployment).toMatch(/automountServiceAccountToken: {{ \.Values\.serviceAccount\.automount }}/);
  });

  it('mounts the data volume at env.dataDir and a tmp emptyDir at /tmp', () => {
    const mounts = yamlBlock(deployment, 'volumeMounts') ?? '';
    expect(mounts).toMatch(/- name: data\s+mountPath: {{ \.Values\.env\.dataDir \| quote }}/);
    expect(mounts).toMatch(/- name: tmp\s+mountPath: \/tmp\b/);
    const volumes = yamlBlock(deployment, 'volumes') ?? '';
    expect(volumes).toMatch(/- name: data\s+{{- if \.Values\.persistence\.enabled }}\s+persistentVolumeClaim:/);
    expect(volumes).toMatch(/{{- else if \.Values\.persistence\.size }}[\s\S]*emptyDir:/);
    expect(volumes).toMatch(/- name: tmp[\s\S]*emptyDir/);
  });

  it('runs one pod at a time and refuses replicaCount > 1', () => {
    expect(deployment).toMatch(/replicas: {{ \.Values\.replicaCount }}/);
    expect(yamlBlock(deployment, 'strategy')).toMatch(/type: Recreate/);
    const validate = defineBlocks(helpers).get('pcap-analyzer.validateValues') ?? '';
    expect(validate).toMatch(/gt \(int \.Values\.replicaCount\) 1[\s\S]*fail/);
    expect(deployment.split('\n')[0]).toBe('{{- include "pcap-analyzer.validateValues" . }}');
  });
});

describe('other templates', () => {
  it('_helpers.tpl defines the standard app.kubernetes.io labels', () => {
    const blocks = defineBlocks(helpers);
    const selector = blocks.get('pcap-analyzer.selectorLabels') ?? '';
    const labels = blocks.get('pcap-analyzer.labels') ?? '';
    expect(selector).toMatch(/^app\.kubernetes\.io\/name: {{ include "pcap-analyzer\.name" \. }}$/m);
    expect(selector).toMatch(/^app\.kubernetes\.io\/instance: {{ \.Release\.Name }}$/m);
    expect(labels).toMatch(/{{ include "pcap-analyzer\.selectorLabels" \. }}/);
    expect(labels).toMatch(/^helm\.sh\/chart: /m);
    expect(labels).toMatch(/^app\.kubernetes\.io\/version: /m);
    expect(labels).toMatch(/^app\.kubernetes\.io\/managed-by: {{ \.Release\.Service }}$/m);
    expect(blocks.get('pcap-analyzer.name')).toMatch(/default \.Chart\.Name \.Values\.nameOverride/);
    expect(blocks.has('pcap-analyzer.fullname')).toBe(true);
  });

  it('every object carries the common labels', () => {
    for (const f of ['deployment.yaml', 'service.yaml', 'pvc.yaml', 'serviceaccount.yaml', 'ingress.yaml', 'networkpolicy.yaml']) {
      expect(read('templates', f), f).toMatch(/labels:\s+{{- include "pcap-analyzer\.labels" \. \| nindent 4 }}/);
    }
  });

  it('Service exposes service.port and the fixed nodePort', () => {
    const svc = read('templates', 'service.yaml');
    expect(svc).toMatch(/type: {{ \.Values\.service\.type }}/);
    expect(svc).toMatch(/port: {{ \.Values\.service\.port }}/);
    expect(svc).toMatch(/nodePort: {{ \.Values\.service\.nodePort }}/);
    expect(svc).toMatch(/selector:\s+{{- include "pcap-analyzer\.selectorLabels" \. \| nindent 4 }}/);
  });

  it('PVC is ReadWriteOnce and only created when persistence is enabled without an existing claim', () => {
    const pvc = read('templates', 'pvc.yaml');
    expect(pvc.split('\n')[0]).toBe('{{- if and .Values.persistence.enabled (not .Values.persistence.existingClaim) }}');
    expect(pvc).toMatch(/accessModes:\s+- ReadWriteOnce/);
    expect(pvc).toMatch(/storage: {{ \.Values\.persistence\.size \| quote }}/);
  });

  it('Ingress is optional and sizes the nginx body limit from the upload limit', () => {
    const ing = read('templates', 'ingress.yaml');
    expect(ing.split('\n')[0]).toBe('{{- if .Values.ingress.enabled }}');
    expect(ing).toMatch(/"nginx\.ingress\.kubernetes\.io\/proxy-body-size" \(include "pcap-analyzer\.proxyBodySize" \.\)/);
    expect(defineBlocks(helpers).get('pcap-analyzer.proxyBodySize')).toMatch(/{{- add \.Values\.env\.maxUploadSizeMB 10 }}m/);
  });

  it('NetworkPolicy is optional and selects the pods by their selector labels', () => {
    const np = read('templates', 'networkpolicy.yaml');
    expect(np.split('\n')[0]).toBe('{{- if .Values.networkPolicy.enabled }}');
    expect(np).toMatch(/podSelector:\s+matchLabels:\s+{{- include "pcap-analyzer\.selectorLabels" \. \| nindent 6 }}/);
    expect(np).toMatch(/port: {{ \.Values\.containerPort }}/);
  });
});

describe('chart README', () => {
  const readme = read('README.md');

  it('lists every leaf of values.yaml with its default, and nothing else', () => {
    expect(checkValuesTable(readme, values)).toEqual([]);
  });

  it('keeps the commands of the deployment contract', () => {
    expect(readme).toContain('docker build -t pcap-analyzer:latest ../../');
    expect(readme).toMatch(/helm install pcap-analyzer \. \\\n\s+--create-namespace \\\n\s+--namespace pcap-analyzer/);
    expect(readme).toContain("curl -F 'file=@capture.pcap' http://<node>:30080/api/upload");
    expect(readme).toContain('kubectl exec -n pcap-analyzer deployment/pcap-analyzer -- curl localhost:8000/api/health');
    expect(readme).toContain('kubectl exec -n pcap-analyzer deployment/pcap-analyzer -- df -h /data');
    expect(readme).toContain('kubectl describe pod -n pcap-analyzer -l app.kubernetes.io/name=pcap-analyzer');
  });
});

// -------------------------------------------------------------------------------------------------
// Rendering with a real helm binary, when one is available (HELM_BIN or `helm` on PATH).
// -------------------------------------------------------------------------------------------------

const helmBin = process.env.HELM_BIN ?? 'helm';
const helmAvailable = spawnSync(helmBin, ['version', '--short'], { encoding: 'utf8' }).status === 0;

interface K8sObject extends PlainObject {
  kind: string;
}

function helm(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(helmBin, args, { encoding: 'utf8', cwd: chartDir });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function render(...set: string[]): K8sObject[] {
  const r = helm(['template', 'pcap-analyzer', '.', '--namespace', 'pcap-analyzer', ...set.flatMap((s) => ['--set', s])]);
  if (r.status !== 0) throw new Error(r.stderr);
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(r.stdout)) {
    const obj: unknown = doc.toJS();
    if (isPlainObject(obj) && typeof obj.kind === 'string') objects.push({ ...obj, kind: obj.kind });
  }
  return objects;
}

const find = (objs: K8sObject[], kind: string): K8sObject | undefined => objs.find((o) => o.kind === kind);
const at = (obj: unknown, path: string): unknown => getPath(obj, path.split('.'));

describe.skipIf(!helmAvailable)('helm lint and helm template', () => {
  it('lints cleanly in strict mode', () => {
    const r = helm(['lint', '--strict', '.']);
    expect(r.stderr + r.stdout).toMatch(/0 chart\(s\) failed/);
    expect(r.status).toBe(0);
  });

  it('renders the default release', () => {
    const objs = render();
    expect(objs.map((o) => o.kind).sort()).toEqual(['Deployment', 'PersistentVolumeClaim', 'Service', 'ServiceAccount']);
    const dep = find(objs, 'Deployment');
    expect(at(dep, 'metadata.name')).toBe('pcap-analyzer');
    const pod = at(dep, 'spec.template.spec');
    const containers = at(pod, 'containers');
    expect(Array.isArray(containers)).toBe(true);
    const c: unknown = Array.isArray(containers) ? containers[0] : undefined;
    const envList = at(c, 'env');
    const envPairs = Array.isArray(envList) ? envList.map((e) => [at(e, 'name'), at(e, 'value')]) : [];
    expect(envPairs).toEqual(
      expect.arrayContaining([
        ['PORT', '8000'],
        ['DATA_DIR', '/data'],
        ['MAX_UPLOAD_SIZE_MB', '500'],
        ['REPORT_TTL_HOURS', '24'],
        ['MAX_QUEUE_SIZE', '5'],
        ['LOG_LEVEL', 'INFO'],
      ]),
    );
    expect(at(c, 'livenessProbe.httpGet.path')).toBe('/api/health/live');
    expect(at(c, 'readinessProbe.httpGet.path')).toBe('/api/health');
    expect(at(c, 'securityContext.readOnlyRootFilesystem')).toBe(true);
    expect(at(pod, 'securityContext.fsGroup')).toBe(1000);
    expect(at(c, 'image')).toBe('pcap-analyzer:latest');
    expect(at(c, 'imagePullPolicy')).toBe('Never');
    const svc = find(objs, 'Service');
    expect(at(svc, 'spec.type')).toBe('NodePort');
    expect(at(svc, 'spec.ports')).toEqual([{ name: 'http', port: 8000, targetPort: 'http', protocol: 'TCP', nodePort: 30080 }]);
    expect(at(find(objs, 'PersistentVolumeClaim'), 'spec.accessModes')).toEqual(['ReadWriteOnce']);
  });

  it('renders the optional objects and an emptyDir without persistence', () => {
    const objs = render('ingress.enabled=true', 'networkPolicy.enabled=true', 'persistence.enabled=false', 'env.maxUploadSizeMB=1000');
    expect(find(objs, 'PersistentVolumeClaim')).toBeUndefined();
    const annotations = at(find(objs, 'Ingress'), 'metadata.annotations');
    expect(isPlainObject(annotations) ? annotations['nginx.ingress.kubernetes.io/proxy-body-size'] : null).toBe('1010m');
    expect(at(find(objs, 'NetworkPolicy'), 'spec.policyTypes')).toEqual(['Ingress']);
    const volumes = at(find(objs, 'Deployment'), 'spec.template.spec.volumes');
    expect(volumes).toEqual([
      { name: 'data', emptyDir: { sizeLimit: '10Gi' } },
      { name: 'tmp', emptyDir: { sizeLimit: '1Gi' } },
    ]);
  });

  it('refuses more than one replica', () => {
    const r = helm(['template', 'x', '.', '--set', 'replicaCount=2']);
    expect(r.status).not.toBe(0);
  });
});

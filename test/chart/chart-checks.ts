/**
 * Static checks for the Helm chart in charts/pcap-analyzer, usable without a `helm` binary.
 *
 * - a small lexer for Go template actions (`{{ ... }}`), aware of string literals and comments;
 * - block balance (`if`/`with`/`range`/`define`/`block` ... `end`, `else` only inside a block);
 * - every `.Values.a.b` reference (absolute, `$.Values...`, or relative to a `with .Values...` block)
 *   must exist in values.yaml;
 * - the README values table must list exactly the leaf values with their defaults;
 * - a subset JSON-schema validator for values.schema.json.
 *
 * Every check returns a list of human-readable errors (empty = OK), so tests can assert both that the
 * real chart passes and that small bad examples fail.
 */

export type PlainObject = Record<string, unknown>;

export function isPlainObject(v: unknown): v is PlainObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Leaf paths of a values tree: scalars, arrays and empty objects are leaves. */
export function leafPaths(values: unknown, prefix: string[] = []): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (isPlainObject(values) && Object.keys(values).length > 0) {
    for (const [key, child] of Object.entries(values)) {
      for (const [path, leaf] of leafPaths(child, [...prefix, key])) out.set(path, leaf);
    }
  } else if (prefix.length > 0) {
    out.set(prefix.join('.'), values);
  }
  return out;
}

/** Does `path` exist in `values` (the key is present, whatever its value, null included)? */
export function hasPath(values: unknown, path: readonly string[]): boolean {
  let node: unknown = values;
  for (const key of path) {
    if (!isPlainObject(node) || !Object.prototype.hasOwnProperty.call(node, key)) return false;
    node = node[key];
  }
  return true;
}

export function getPath(values: unknown, path: readonly string[]): unknown {
  let node: unknown = values;
  for (const key of path) {
    if (!isPlainObject(node)) return undefined;
    node = node[key];
  }
  return node;
}

/**
 * Merge user values over defaults as Helm does: maps merge key by key, anything else replaces,
 * and null deletes the key.
 */
export function mergeValues(base: unknown, override: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(override)) return override === undefined ? base : override;
  const out: PlainObject = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value === null) delete out[key];
    else out[key] = mergeValues(base[key], value);
  }
  return out;
}

/** How a default is written in the README table (inside backticks). */
export function formatDefault(v: unknown): string {
  if (typeof v === 'string') return v === '' ? '""' : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null || v === undefined) return 'null';
  return JSON.stringify(v);
}

// ---------------------------------------------------------------------------------------------
// Go template lexing
// ---------------------------------------------------------------------------------------------

export interface TemplateAction {
  /** Action text without the delimiters, trim markers and surrounding whitespace. */
  readonly text: string;
  /** 1-based line of the opening `{{`. */
  readonly line: number;
  readonly isComment: boolean;
  /** Offset of the opening `{{` and just past the closing `}}`. */
  readonly start: number;
  readonly end: number;
}

export interface LexResult {
  readonly actions: TemplateAction[];
  readonly errors: string[];
}

function lineAt(src: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index && i < src.length; i++) if (src.charCodeAt(i) === 10) line++;
  return line;
}

/** Index just past a quoted literal starting at `start` (which holds the quote), or -1 if unterminated. */
function skipQuoted(src: string, start: number): number {
  const quote = src[start];
  for (let i = start + 1; i < src.length; i++) {
    const c = src[i];
    if (quote !== '`' && c === '\\') {
      i++;
      continue;
    }
    if (c === quote) return i + 1;
    if (c === '\n' && quote !== '`') return -1;
  }
  return -1;
}

function stripTrimMarkers(inner: string): string {
  let s = inner;
  if (/^-\s/.test(s)) s = s.slice(1);
  if (/\s-$/.test(s)) s = s.slice(0, -1);
  return s.trim();
}

/**
 * Split a template into its actions; report unclosed actions, `{{` inside an action and stray `}}`
 * in plain text (usually a `{ .Values.x }}` typo; write nested YAML flow maps as `} }`).
 */
export function lexTemplate(src: string): LexResult {
  const actions: TemplateAction[] = [];
  const errors: string[] = [];
  let pos = 0;
  for (;;) {
    const open = src.indexOf('{{', pos);
    const strayClose = src.indexOf('}}', pos);
    if (strayClose !== -1 && (open === -1 || strayClose < open)) {
      errors.push(`line ${lineAt(src, strayClose)}: "}}" without a matching "{{"`);
    }
    if (open === -1) break;
    const line = lineAt(src, open);
    let i = open + 2;
    // Comment: {{/* ... */}} or {{- /* ... */ -}}
    const afterOpen = src.slice(i).match(/^(-\s+)?\/\*/);
    if (afterOpen) {
      const end = src.indexOf('*/', i + afterOpen[0].length);
      const close = end === -1 ? null : src.slice(end + 2).match(/^(\s+-)?}}/);
      if (end === -1 || !close) {
        errors.push(`line ${line}: comment not closed by "*/}}"`);
        break;
      }
      pos = end + 2 + close[0].length;
      actions.push({ text: src.slice(i + afterOpen[0].length - 2, end + 2), line, isComment: true, start: open, end: pos });
      continue;
    }
    let closed = -1;
    while (i < src.length) {
      const c = src[i];
      if (c === '"' || c === '`' || c === "'") {
        const next = skipQuoted(src, i);
        if (next === -1) {
          errors.push(`line ${lineAt(src, i)}: unterminated string literal in action`);
          i = src.length;
          break;
        }
        i = next;
        continue;
      }
      if (c === '{' && src[i + 1] === '{') {
        errors.push(`line ${line}: "{{" opened before the previous action was closed`);
        break;
      }
      if (c === '}' && src[i + 1] === '}') {
        closed = i;
        break;
      }
      i++;
    }
    if (closed === -1) {
      if (i >= src.length) errors.push(`line ${line}: "{{" is never closed by "}}"`);
      pos = i;
      if (pos >= src.length) break;
      continue;
    }
    pos = closed + 2;
    actions.push({ text: stripTrimMarkers(src.slice(open + 2, closed)), line, isComment: false, start: open, end: pos });
  }
  return { actions, errors };
}

const BLOCK_OPENERS = new Set(['if', 'with', 'range', 'define', 'block']);

function keywordOf(action: TemplateAction): string {
  if (action.isComment) return '';
  const m = action.text.match(/^([a-z]+)\b/);
  return m ? m[1] : '';
}

/** `if`/`with`/`range`/`define`/`block` must each be closed by `end`; `else` only inside if/with/range. */
export function checkBlockBalance(src: string): string[] {
  const { actions, errors } = lexTemplate(src);
  const stack: { keyword: string; line: number }[] = [];
  for (const action of actions) {
    const keyword = keywordOf(action);
    if (BLOCK_OPENERS.has(keyword)) {
      stack.push({ keyword, line: action.line });
    } else if (keyword === 'else') {
      const top = stack[stack.length - 1];
      if (!top || !['if', 'with', 'range'].includes(top.keyword)) {
        errors.push(`line ${action.line}: "else" outside an if/with/range block`);
      }
    } else if (keyword === 'end') {
      if (!stack.pop()) errors.push(`line ${action.line}: "end" without an open block`);
    }
  }
  for (const open of stack) errors.push(`line ${open.line}: "${open.keyword}" block is never closed by "end"`);
  return errors;
}

/** Bodies of `{{ define "name" }} ... {{ end }}` blocks (raw text between the two actions). */
export function defineBlocks(src: string): Map<string, string> {
  const out = new Map<string, string>();
  const stack: { name: string | null; bodyStart: number }[] = [];
  for (const action of lexTemplate(src).actions) {
    const keyword = keywordOf(action);
    if (keyword === 'end') {
      const top = stack.pop();
      if (top && top.name !== null) out.set(top.name, src.slice(top.bodyStart, action.start));
    } else if (BLOCK_OPENERS.has(keyword)) {
      const name = keyword === 'define' ? (action.text.match(/^define\s+"([^"]+)"/)?.[1] ?? null) : null;
      stack.push({ name, bodyStart: action.end });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// .Values references
// ---------------------------------------------------------------------------------------------

/** What `.` refers to at a point of the template. */
type Dot = { kind: 'root' } | { kind: 'values'; path: string[] } | { kind: 'unknown' };

interface Frame {
  readonly keyword: string;
  dot: Dot;
  readonly outerDot: Dot;
}

/** Built-in objects of Helm's root context. */
const ROOT_OBJECTS = new Set(['Values', 'Release', 'Chart', 'Capabilities', 'Template', 'Files', 'Subcharts']);

export interface FieldRef {
  /** `$` prefix: absolute from the root context. */
  readonly absolute: boolean;
  readonly fields: string[];
}

/** Field chains (`.a.b`, `$.a.b`) in an action, ignoring string literals and variables (`$x.y`). */
export function fieldRefs(actionText: string): FieldRef[] {
  let code = '';
  for (let i = 0; i < actionText.length; ) {
    const c = actionText[i];
    if (c === '"' || c === '`' || c === "'") {
      const next = skipQuoted(actionText, i);
      code += ' ""';
      i = next === -1 ? actionText.length : next;
      continue;
    }
    code += c;
    i++;
  }
  const refs: FieldRef[] = [];
  const re = /(?<![\w)\]$.])(\$)?((?:\.[A-Za-z_]\w*)+)/g;
  for (let m = re.exec(code); m !== null; m = re.exec(code)) {
    refs.push({ absolute: m[1] === '$', fields: m[2].slice(1).split('.') });
  }
  return refs;
}

/** The dot inside `with PIPELINE` when the pipeline is a bare field chain, else unknown. */
function dotOfPipeline(pipeline: string, dot: Dot): Dot {
  const m = pipeline.trim().match(/^(\$)?((?:\.[A-Za-z_]\w*)+)$/);
  if (!m) return { kind: 'unknown' };
  const fields = m[2].slice(1).split('.');
  const base: Dot = m[1] === '$' ? { kind: 'root' } : dot;
  if (base.kind === 'root') {
    return fields[0] === 'Values' ? { kind: 'values', path: fields.slice(1) } : { kind: 'unknown' };
  }
  if (base.kind === 'values') return { kind: 'values', path: [...base.path, ...fields] };
  return { kind: 'unknown' };
}

function checkRef(ref: FieldRef, dot: Dot, values: unknown, where: string): string | null {
  const base: Dot = ref.absolute ? { kind: 'root' } : dot;
  const shown = (ref.absolute ? '$.' : '.') + ref.fields.join('.');
  if (base.kind === 'unknown') {
    return ROOT_OBJECTS.has(ref.fields[0]) && !ref.absolute
      ? `${where}: "${shown}" inside a range (or a with over a non-Values pipeline) does not refer to the root context; use "$${shown}"`
      : null;
  }
  if (base.kind === 'root') {
    const [head, ...rest] = ref.fields;
    if (!ROOT_OBJECTS.has(head)) return `${where}: "${shown}" is not a Helm built-in object (Values, Release, Chart, ...)`;
    if (head === 'Values' && rest.length > 0 && !hasPath(values, rest)) {
      return `${where}: "${shown}" refers to "${rest.join('.')}", which is not in values.yaml`;
    }
    return null;
  }
  const full = [...base.path, ...ref.fields];
  if (!hasPath(values, full)) {
    return `${where}: "${shown}" inside "with .Values.${base.path.join('.')}" refers to "${full.join('.')}", which is not in values.yaml`;
  }
  return null;
}

/**
 * Every `.Values` reference of a template must exist in `values`, following the dot through
 * `with`/`range`/`define` blocks.
 */
export function checkValuesReferences(src: string, values: unknown, file = 'template'): string[] {
  const { actions, errors } = lexTemplate(src);
  const out = errors.map((e) => `${file} ${e}`);
  const root: Dot = { kind: 'root' };
  const stack: Frame[] = [];
  const currentDot = (): Dot => (stack.length > 0 ? stack[stack.length - 1].dot : root);
  for (const action of actions) {
    if (action.isComment) continue;
    const where = `${file}:${action.line}`;
    const keyword = keywordOf(action);
    const check = (text: string, dot: Dot): void => {
      for (const ref of fieldRefs(text)) {
        const err = checkRef(ref, dot, values, where);
        if (err) out.push(err);
      }
    };
    if (keyword === 'end') {
      stack.pop();
      continue;
    }
    if (keyword === 'else') {
      const frame = stack[stack.length - 1];
      if (!frame) continue;
      frame.dot = frame.outerDot;
      const rest = action.text.replace(/^else\s*/, '');
      const sub = rest.match(/^(if|with)\s+([\s\S]*)$/);
      if (sub) {
        check(sub[2], frame.outerDot);
        if (sub[1] === 'with') frame.dot = dotOfPipeline(sub[2], frame.outerDot);
      }
      continue;
    }
    const outer = currentDot();
    if (keyword === 'define' || keyword === 'block') {
      check(action.text.replace(/^(define|block)\s*/, ''), outer);
      stack.push({ keyword, dot: root, outerDot: outer });
      continue;
    }
    if (keyword === 'with' || keyword === 'range' || keyword === 'if') {
      const pipeline = action.text.replace(/^(with|range|if)\s*/, '');
      check(pipeline, outer);
      const inner: Dot =
        keyword === 'with' ? dotOfPipeline(pipeline, outer) : keyword === 'range' ? { kind: 'unknown' } : outer;
      stack.push({ keyword, dot: inner, outerDot: outer });
      continue;
    }
    check(action.text, outer);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// README values table
// ---------------------------------------------------------------------------------------------

export interface TableRow {
  readonly parameter: string;
  readonly description: string;
  readonly defaultText: string;
  readonly line: number;
}

function splitRow(line: string): string[] {
  const trimmed = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  return trimmed.split('|').map((c) => c.trim());
}

function unBacktick(cell: string): string {
  const m = cell.match(/^`(.*)`$/);
  return m ? m[1] : cell;
}

/** Rows of every Markdown table whose header has "Parameter" and "Default" columns. */
export function parseValuesTables(markdown: string): TableRow[] {
  const lines = markdown.split(/\r?\n/);
  const rows: TableRow[] = [];
  let inFence = false;
  for (let i = 0; i < lines.length; i++) {
    if (/^\s*```/.test(lines[i])) inFence = !inFence;
    if (inFence || !lines[i].trim().startsWith('|')) continue;
    const header = splitRow(lines[i]).map((h) => h.toLowerCase());
    const pIdx = header.indexOf('parameter');
    const dIdx = header.indexOf('default');
    const descIdx = header.indexOf('description');
    if (pIdx === -1 || dIdx === -1 || !/^\s*\|[\s:|-]+\|\s*$/.test(lines[i + 1] ?? '')) continue;
    let j = i + 2;
    for (; j < lines.length && lines[j].trim().startsWith('|'); j++) {
      const cells = splitRow(lines[j]);
      rows.push({
        parameter: unBacktick(cells[pIdx] ?? ''),
        description: descIdx === -1 ? '' : (cells[descIdx] ?? ''),
        defaultText: unBacktick(cells[dIdx] ?? ''),
        line: j + 1,
      });
    }
    i = j - 1;
  }
  return rows;
}

/** The README tables must list exactly the leaf values, each once, with its default. */
export function checkValuesTable(markdown: string, values: unknown): string[] {
  const errors: string[] = [];
  const leaves = leafPaths(values);
  const rows = parseValuesTables(markdown);
  if (rows.length === 0) errors.push('README: no "| Parameter | Description | Default |" table found');
  const seen = new Set<string>();
  for (const row of rows) {
    if (seen.has(row.parameter)) errors.push(`README:${row.line}: "${row.parameter}" is listed twice`);
    seen.add(row.parameter);
    if (!leaves.has(row.parameter)) {
      errors.push(`README:${row.line}: "${row.parameter}" is not a leaf value of values.yaml`);
      continue;
    }
    const expected = formatDefault(leaves.get(row.parameter));
    if (row.defaultText !== expected) {
      errors.push(`README:${row.line}: default of "${row.parameter}" is "${row.defaultText}", values.yaml has "${expected}"`);
    }
    if (row.description === '') errors.push(`README:${row.line}: "${row.parameter}" has no description`);
  }
  for (const path of leaves.keys()) {
    if (!seen.has(path)) errors.push(`README: value "${path}" is missing from the values table`);
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------
// Deployment template helpers
// ---------------------------------------------------------------------------------------------

/** `- name: X` followed by `value: <expr>` pairs of a container env list, by variable name. */
export function envMapping(src: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /^\s*-\s+name:\s*([A-Z_][A-Z0-9_]*)\s*\n\s+value:\s*(.+?)\s*$/gm;
  for (let m = re.exec(src); m !== null; m = re.exec(src)) {
    if (out.has(m[1])) throw new Error(`environment variable ${m[1]} is set twice`);
    out.set(m[1], m[2]);
  }
  return out;
}

/** Lines indented deeper than the first line matching `^\s*<key>:` (the YAML block under that key). */
export function yamlBlock(src: string, key: string): string | null {
  const lines = src.split('\n');
  const re = new RegExp(`^(\\s*)(- )?${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:`);
  const start = lines.findIndex((l) => re.test(l));
  if (start === -1) return null;
  const m = lines[start].match(re);
  const indent = (m?.[1].length ?? 0) + (m?.[2] ? 2 : 0);
  const body: string[] = [lines[start]];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === '') continue;
    const lineIndent = line.length - line.trimStart().length;
    if (lineIndent <= indent) break;
    body.push(line);
  }
  return body.join('\n');
}

// ---------------------------------------------------------------------------------------------
// JSON schema (the subset used by values.schema.json)
// ---------------------------------------------------------------------------------------------

function typeOfJson(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(actual: string, expected: unknown): boolean {
  const list = Array.isArray(expected) ? expected : [expected];
  return list.some((t) => t === actual || (t === 'number' && actual === 'integer'));
}

/**
 * Validate `value` against a draft-07 schema using only: type, enum, minimum, maximum, minLength,
 * maxLength, pattern, anyOf, $ref (#/definitions/...), properties, required, additionalProperties,
 * items. Unknown keywords are reported so that the schema cannot silently outgrow this validator.
 */
export function validateSchema(value: unknown, schema: unknown, rootSchema: unknown = schema, path = '(root)'): string[] {
  const known = new Set([
    '$schema', 'title', 'description', 'definitions', 'type', 'enum', 'minimum', 'maximum', 'minLength',
    'maxLength', 'pattern', 'anyOf', '$ref', 'properties', 'required', 'additionalProperties', 'items',
  ]);
  if (!isPlainObject(schema)) return [`${path}: schema is not an object`];
  const errors: string[] = [];
  for (const k of Object.keys(schema)) if (!known.has(k)) errors.push(`${path}: unsupported schema keyword "${k}"`);
  const ref = schema.$ref;
  if (typeof ref === 'string') {
    const name = ref.replace(/^#\/definitions\//, '');
    const defs = isPlainObject(rootSchema) ? rootSchema.definitions : undefined;
    const target = isPlainObject(defs) ? defs[name] : undefined;
    if (target === undefined) return [...errors, `${path}: unresolved $ref ${ref}`];
    errors.push(...validateSchema(value, target, rootSchema, path));
  }
  if (Array.isArray(schema.anyOf)) {
    const ok = schema.anyOf.some((sub) => validateSchema(value, sub, rootSchema, path).length === 0);
    if (!ok) errors.push(`${path}: ${JSON.stringify(value)} matches none of the anyOf schemas`);
  }
  const actual = typeOfJson(value);
  if (schema.type !== undefined && !typeMatches(actual, schema.type)) {
    return [...errors, `${path}: expected ${JSON.stringify(schema.type)}, got ${actual}`];
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) {
    errors.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) errors.push(`${path}: ${value} < ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) errors.push(`${path}: ${value} > ${schema.maximum}`);
  }
  if (typeof value === 'string') {
    if (typeof schema.minLength === 'number' && value.length < schema.minLength) errors.push(`${path}: shorter than ${schema.minLength}`);
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength) errors.push(`${path}: longer than ${schema.maxLength}`);
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern).test(value)) {
      errors.push(`${path}: "${value}" does not match ${schema.pattern}`);
    }
  }
  if (isPlainObject(value)) {
    const props = isPlainObject(schema.properties) ? schema.properties : {};
    if (Array.isArray(schema.required)) {
      for (const r of schema.required) {
        if (typeof r === 'string' && !(r in value)) errors.push(`${path}: missing required "${r}"`);
      }
    }
    for (const [k, v] of Object.entries(value)) {
      const sub = props[k];
      const childPath = path === '(root)' ? k : `${path}.${k}`;
      if (sub !== undefined) errors.push(...validateSchema(v, sub, rootSchema, childPath));
      else if (schema.additionalProperties === false) errors.push(`${childPath}: not allowed by the schema`);
      else if (isPlainObject(schema.additionalProperties)) {
        errors.push(...validateSchema(v, schema.additionalProperties, rootSchema, childPath));
      }
    }
  }
  if (Array.isArray(value) && schema.items !== undefined) {
    value.forEach((item, i) => errors.push(...validateSchema(item, schema.items, rootSchema, `${path}[${i}]`)));
  }
  return errors;
}

/** Paths declared through inline `properties` (not through $ref) in a schema. */
export function schemaPropertyPaths(schema: unknown, prefix: string[] = []): string[][] {
  if (!isPlainObject(schema) || !isPlainObject(schema.properties)) return [];
  const out: string[][] = [];
  for (const [key, sub] of Object.entries(schema.properties)) {
    out.push([...prefix, key]);
    out.push(...schemaPropertyPaths(sub, [...prefix, key]));
  }
  return out;
}

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** Import specifiers in a TypeScript/Svelte source: static imports, re-exports, dynamic imports, `new URL(…)` worker entries. */
export function importSpecifiers(source: string): string[] {
  const specs: string[] = [];
  const patterns = [
    /\bimport\s+(?:type\s+)?(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]/g,
    /\bexport\s+(?:type\s+)?(?:\*|\{[^}]*\})\s*(?:as\s+\w+\s+)?from\s+['"]([^'"]+)['"]/g,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\bnew\s+URL\(\s*['"]([^'"]+)['"]\s*,\s*import\.meta\.url/g,
  ];
  for (const re of patterns) for (const m of source.matchAll(re)) specs.push(m[1]);
  return specs;
}

export interface Violation {
  file: string;
  specifier: string;
  rule: string;
}

const WORKER_PUBLIC = [/^worker\/index\.(ts|js)$/, /^worker\/report\//, /^worker\/hosts\//];

/**
 * The engine boundary: `worker/` imports nothing from the app or the server and no Node-only module;
 * `src/` and `server/` reach the engine only through its public entry, report types and host glue.
 */
export function checkFile(root: string, file: string, source: string): Violation[] {
  const rel = relative(root, file).split(sep).join('/');
  const area = rel.split('/')[0];
  const out: Violation[] = [];
  for (const spec of importSpecifiers(source)) {
    if (area === 'worker') {
      if (spec.startsWith('node:') || ['fs', 'path', 'os', 'crypto', 'child_process', 'worker_threads', 'zlib', 'stream'].includes(spec)) {
        out.push({ file: rel, specifier: spec, rule: 'worker/ must not use Node-only modules (it runs in a browser worker)' });
      }
    }
    if (!spec.startsWith('.')) continue;
    const target = relative(root, resolve(dirname(file), spec)).split(sep).join('/');
    const targetArea = target.split('/')[0];
    if (area === 'worker' && (targetArea === 'src' || targetArea === 'server')) {
      out.push({ file: rel, specifier: spec, rule: 'worker/ must not import from src/ or server/' });
    }
    if ((area === 'src' || area === 'server') && targetArea === 'worker' && !WORKER_PUBLIC.some((re) => re.test(target))) {
      out.push({ file: rel, specifier: spec, rule: `${area}/ must import the engine through worker/index.ts, worker/report/* or worker/hosts/*` });
    }
    if (area === 'src' && targetArea === 'server') out.push({ file: rel, specifier: spec, rule: 'src/ must not import server code' });
    if (area === 'server' && targetArea === 'src') out.push({ file: rel, specifier: spec, rule: 'server/ must not import app code' });
  }
  return out;
}

export function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(ts|svelte|mts|js|mjs)$/.test(name)) out.push(p);
  }
  return out;
}

export function checkTree(root: string): Violation[] {
  return ['worker', 'src', 'server'].flatMap((area) => sourceFiles(join(root, area)).flatMap((f) => checkFile(root, f, readFileSync(f, 'utf8'))));
}

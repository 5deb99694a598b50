import { describe, expect, it } from 'vitest';
import { checkFile, checkTree, importSpecifiers } from './import-rules.js';

const root = process.cwd();

describe('engine boundary (import rules)', () => {
  it('holds for the whole tree', () => {
    expect(checkTree(root)).toEqual([]);
  });

  it('finds every kind of import', () => {
    const src = `import a from './a.js';\nimport type { B } from "../b.js";\nexport * from './c.js';\nexport { d } from './d.js';\nconst e = await import('./e.js');\nnew Worker(new URL('./f.ts', import.meta.url));\nimport './g.css';`;
    expect(importSpecifiers(src)).toEqual(expect.arrayContaining(['./a.js', '../b.js', './c.js', './d.js', './e.js', './f.ts', './g.css']));
  });

  it('rejects the engine importing app, server or Node-only code', () => {
    const file = `${root}/worker/analyzers/x.ts`;
    expect(checkFile(root, file, `import { x } from '../../src/lib/x.js';`)).toHaveLength(1);
    expect(checkFile(root, file, `import { y } from '../../server/y.js';`)).toHaveLength(1);
    expect(checkFile(root, file, `import { readFileSync } from 'node:fs';`)).toHaveLength(1);
    expect(checkFile(root, file, `import { z } from '../decode/packet.js';`)).toEqual([]);
  });

  it('rejects app and server code reaching into engine internals', () => {
    expect(checkFile(root, `${root}/src/lib/a.ts`, `import { Decoder } from '../../worker/decode/decoder.js';`)).toHaveLength(1);
    expect(checkFile(root, `${root}/server/b.ts`, `import { Framer } from '../worker/capture/framer.js';`)).toHaveLength(1);
    expect(checkFile(root, `${root}/server/b.ts`, `import { summarizeCapture } from '../worker/index.js';`)).toEqual([]);
    expect(checkFile(root, `${root}/src/c.ts`, `import type { Report } from '../worker/report/types.js';`)).toEqual([]);
    expect(checkFile(root, `${root}/src/c.ts`, `import { start } from '../server/index.js';`)).toHaveLength(1);
  });
});

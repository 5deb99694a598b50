#!/usr/bin/env node
// The package's command: runs the bundled CLI, building it first when this checkout has not yet.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/node/cli.js', import.meta.url);
if (!existsSync(cli)) await import('../scripts/build-node.mjs');
const { main } = await import(cli.href);
process.exitCode = await main(process.argv.slice(2));

/**
 * The standalone report viewer: reads the report embedded in this HTML file (by embedReport), validates
 * it again (a file can be edited or forged) and renders it read-only, offline. No network access: the
 * file's CSP forbids it.
 */
import { mount } from 'svelte';
import '../app.css';
import Viewer from './Viewer.svelte';
import { REPORT_BLOCK_ID, readEmbeddedReport } from './embedded.js';

const result = readEmbeddedReport(document.getElementById(REPORT_BLOCK_ID)?.textContent ?? null);
mount(Viewer, { target: document.getElementById('app')!, props: { result } });

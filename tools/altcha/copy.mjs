// Copies the files of the ALTCHA widget that work under Osez's CSP (no
// inline style, workers loaded by URL) into crates/osez-web/static/.
// Rejected: dist/main (injects a <style> and starts blob: workers) and the
// UMD builds (inject a <style>). Run: npm ci && node copy.mjs
import { copyFileSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = join(here, 'node_modules', 'altcha');
const out = join(here, '..', '..', 'crates', 'osez-web', 'static');
const version = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')).version;

const files = [
  ['dist/external/altcha.min.js', 'altcha.min.js'],
  ['dist/external/altcha.css', 'altcha.css'],
  ['dist/workers/pbkdf2.js', 'altcha-pbkdf2.js'],
  ['dist/i18n/fr-fr.js', 'altcha-fr.js'],
  ['LICENSE.txt', 'altcha-LICENSE.txt'],
];
for (const [from, to] of files) {
  copyFileSync(join(pkg, from), join(out, to));
  console.log(`altcha ${version}: ${from} -> static/${to}`);
}

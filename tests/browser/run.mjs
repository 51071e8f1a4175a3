#!/usr/bin/env node
// Browser test suite for Osez: accessibility (axe-core, WCAG 2.1 A/AA), page
// conventions, keyboard-only navigation, search without JavaScript, contact
// forms (ALTCHA widget with JavaScript, the question in words without), the
// assistant (a chat with JavaScript, a form without), no CSP violation, no
// third-party requests, no console errors, screenshots.
//
// Usage:  npm ci && node run.mjs
//   OSEZ_BASE_URL   test an already running server (e.g. http://127.0.0.1:8080);
//                   otherwise the script starts one itself:
//   OSEZ_BIN        path of the osez binary (default ../../target/release/osez)
//   OSEZ_CHROMIUM   browser executable (default /usr/bin/chromium)
//   OSEZ_SCREENSHOT=1  also copy the home page screenshot to docs/screenshot.png
//   OSEZ_VERBOSE=1  echo the server's output as it comes
//   OSEZ_DATA_DIR   with OSEZ_BASE_URL: that server's data directory, where the
//                   back-office tests create their admin account
//   OSEZ_FORMS_PER_MINUTE  passed to the server the script starts (default
//                   here 120, the server's own is 10: the run sends dozens of
//                   forms from one address); a server given by OSEZ_BASE_URL
//                   needs a limit as high
//
// Plain node, no test framework: prints one "ok"/"not ok" line per test, the
// details of every failure, and closes with "N passed, N failed". Exits 1 on
// any failure.

import { spawn, spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(HERE, '..', '..');
const AXE_PATH = require.resolve('axe-core/axe.min.js');
const SCREENSHOT_DIR = path.join(HERE, 'screenshots');

const CHROMIUM = process.env.OSEZ_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const NAV_TIMEOUT_MS = 30_000;
const ACTION_TIMEOUT_MS = 30_000;
const TEST_TIMEOUT_MS = 90_000;
const SERVER_START_TIMEOUT_MS = 120_000;
const RUN_TIMEOUT_MS = 5 * 60_000;
const MAX_TABS = 200;
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
// The server this script starts takes this many forms a minute from one
// address (OSEZ_FORMS_PER_MINUTE; the server's default is 10).
const FORMS_PER_MINUTE = 120;

// ---------------------------------------------------------------- reporting

const results = []; // { name, ok, details }
let serverProc = null;
let serverDataDir = null;
let browser = null;
const serverLog = []; // last lines of the server's output
let cleaningUp = null;
let stopping = false; // set by the whole-run watchdog: record nothing more

function log(line = '') {
  process.stdout.write(line + '\n');
}

function indent(text, prefix = '    ') {
  return String(text)
    .split('\n')
    .map((l) => prefix + l)
    .join('\n');
}

function record(name, ok, details = '') {
  results.push({ name, ok, details });
  log(`${ok ? 'ok' : 'not ok'} ${results.length} - ${name}`);
  if (!ok && details) log(indent(details));
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Runs one test; `fn` returns a list of problems (strings), empty when it passes. */
async function test(name, fn, timeoutMs = TEST_TIMEOUT_MS) {
  if (stopping) return;
  const started = Date.now();
  try {
    const problems = await withTimeout(Promise.resolve().then(fn), timeoutMs, name);
    if (stopping) return;
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    if (problems && problems.length) record(`${name} (${secs} s)`, false, problems.join('\n'));
    else record(`${name} (${secs} s)`, true);
  } catch (err) {
    if (stopping) return;
    record(name, false, (err && err.stack) || String(err));
  }
}

function summary() {
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  if (failed) {
    log('');
    log('Failed:');
    for (const r of results.filter((x) => !x.ok)) log(`  - ${r.name}`);
    if (serverProc && serverLog.length) {
      log('');
      log('Last lines of the server output:');
      log(indent(serverLog.slice(-40).join('\n')));
    }
  }
  log('');
  log(`${passed} passed, ${failed} failed`);
  return failed;
}

// ---------------------------------------------------------------- server

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function keepServerOutput(stream) {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    if (process.env.OSEZ_VERBOSE === '1') process.stderr.write(chunk);
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop();
    serverLog.push(...lines);
    if (serverLog.length > 400) serverLog.splice(0, serverLog.length - 400);
  });
}

async function startServer() {
  const bin = path.resolve(HERE, process.env.OSEZ_BIN || '../../target/release/osez');
  if (!existsSync(bin)) {
    throw new Error(
      `server binary not found: ${bin}\n` +
        'Build it with `cargo build --release -p osez-cli`, or set OSEZ_BIN, or OSEZ_BASE_URL.',
    );
  }
  const port = await freePort();
  serverDataDir = await mkdtemp(path.join(os.tmpdir(), 'osez-browser-data-'));
  const args = ['serve', '--addr', `127.0.0.1:${port}`, '--data-dir', serverDataDir];
  log(`# starting ${bin} ${args.join(' ')}`);
  // One address sends every form of the run, the assistant's messages among
  // them, dozens within a minute: the server started here allows
  // FORMS_PER_MINUTE forms a minute per address, not the default 10 (the
  // limit itself is tested in crates/osez-web/tests/security.rs), unless
  // OSEZ_FORMS_PER_MINUTE is set.
  const env = { OSEZ_FORMS_PER_MINUTE: String(FORMS_PER_MINUTE), ...process.env };
  log(`# forms per minute per address: ${env.OSEZ_FORMS_PER_MINUTE}`);
  const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  serverProc = proc;
  keepServerOutput(proc.stdout);
  keepServerOutput(proc.stderr);
  let exited = null;
  proc.on('exit', (code, signal) => {
    exited = { code, signal };
  });
  proc.on('error', (err) => {
    exited = { code: null, signal: null, err };
  });

  const base = `http://127.0.0.1:${port}`;
  const started = Date.now();
  while (Date.now() - started < SERVER_START_TIMEOUT_MS) {
    if (exited) {
      throw new Error(
        `server exited before answering /healthz (code ${exited.code}, signal ${exited.signal}` +
          `${exited.err ? ', ' + exited.err.message : ''})\n` +
          serverLog.slice(-40).join('\n'),
      );
    }
    try {
      const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer().catch(() => {});
      if (res.status === 200) {
        log(`# server answered /healthz after ${((Date.now() - started) / 1000).toFixed(1)} s`);
        return base;
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `server did not answer 200 on /healthz within ${SERVER_START_TIMEOUT_MS / 1000} s\n` +
      serverLog.slice(-40).join('\n'),
  );
}

async function stopServer() {
  const proc = serverProc;
  if (proc && proc.exitCode === null && proc.signalCode === null) {
    const gone = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    const stopped = await Promise.race([gone.then(() => true), new Promise((r) => setTimeout(() => r(false), 10_000))]);
    if (!stopped) {
      log('# server did not stop within 10 s of SIGTERM; sending SIGKILL');
      proc.kill('SIGKILL');
      await Promise.race([gone, new Promise((r) => setTimeout(r, 5_000))]);
    }
  }
  if (serverDataDir && process.env.OSEZ_KEEP_DATA !== '1') {
    await rm(serverDataDir, { recursive: true, force: true }).catch(() => {});
  }
}

function cleanup() {
  if (!cleaningUp) {
    cleaningUp = (async () => {
      if (browser) await withTimeout(browser.close(), 15_000, 'closing the browser').catch(() => {});
      await stopServer().catch(() => {});
    })();
  }
  return cleaningUp;
}

// ---------------------------------------------------------------- page helpers

/** Watches a page for console errors, uncaught exceptions and requests to other hosts. */
function watch(page, baseOrigin, { allowMainDocumentStatus } = {}) {
  const problems = [];
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const loc = msg.location();
    // A page we expect to answer 404 (or another error status) logs a
    // "Failed to load resource" error for its own main document: not a fault.
    const failed = /Failed to load resource: the server responded with a status of (\d+)/.exec(msg.text());
    if (
      allowMainDocumentStatus &&
      failed &&
      failed[1] === String(allowMainDocumentStatus) &&
      loc && loc.url && stripHash(loc.url) === stripHash(page.url())
    ) {
      return;
    }
    problems.push(`console error: ${msg.text()}${loc && loc.url ? ` (at ${loc.url}:${loc.lineNumber})` : ''}`);
  });
  page.on('pageerror', (err) => problems.push(`uncaught exception in the page: ${err.message}`));
  page.on('request', (req) => {
    let u;
    try {
      u = new URL(req.url());
    } catch {
      problems.push(`request to an unparsable URL: ${req.url()}`);
      return;
    }
    if (u.protocol === 'data:' || u.protocol === 'blob:' || u.protocol === 'about:') return;
    if (u.origin !== baseOrigin) problems.push(`request to another host than the server: ${req.method()} ${req.url()}`);
  });
  return problems;
}

function stripHash(u) {
  const i = u.indexOf('#');
  return i < 0 ? u : u.slice(0, i);
}

async function newContext(options = {}) {
  const context = await browser.newContext({ locale: 'fr-FR', ...options });
  context.setDefaultNavigationTimeout(NAV_TIMEOUT_MS);
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  // No request interception (context.route): with it, Chromium skips the
  // /favicon.ico request a real browser makes, and a missing favicon would go
  // unnoticed. Requests to other hosts are reported by watch(); this
  // machine's closed network refuses them anyway.
  return context;
}

async function pageConventions(page) {
  const facts = await page.evaluate(() => ({
    lang: document.documentElement.getAttribute('lang'),
    title: document.title,
    h1: document.querySelectorAll('h1').length,
  }));
  const problems = [];
  if (facts.lang !== 'fr') problems.push(`<html lang> is ${JSON.stringify(facts.lang)}, expected "fr"`);
  if (!facts.title || !facts.title.trim()) problems.push('<title> is missing or empty');
  if (facts.h1 !== 1) problems.push(`expected exactly one <h1>, found ${facts.h1}`);
  return problems;
}

function formatTarget(target) {
  // axe targets are arrays of selectors (nested arrays for shadow DOM).
  return target.map((t) => (Array.isArray(t) ? t.join(' >>> ') : t)).join(' | ');
}

async function runAxe(page) {
  await page.addScriptTag({ path: AXE_PATH });
  const violations = await page.evaluate(async (tags) => {
    // eslint-disable-next-line no-undef
    const res = await axe.run(document, { runOnly: { type: 'tag', values: tags } });
    return res.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      helpUrl: v.helpUrl,
      targets: v.nodes.map((n) => n.target),
    }));
  }, AXE_TAGS);
  return violations.map(
    (v) =>
      `axe ${v.id} [${v.impact}]: ${v.help} (${v.helpUrl})\n` +
      v.targets.map((t) => `      at ${formatTarget(t)}`).join('\n'),
  );
}

async function screenshot(page, name) {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, name);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

// ---------------------------------------------------------------- tests

/** Loads one page, checks status and conventions and runs axe on it. */
async function checkPage(base, urlPath, { status = 200, screenshotName, cookies = [] } = {}) {
  const baseOrigin = new URL(base).origin;
  const url = new URL(urlPath, base).href;
  const problems = [];

  // 1. The page as a visitor gets it: status, console, requests, conventions.
  const context = await newContext();
  await context.addCookies(cookies);
  try {
    const page = await context.newPage();
    const watched = watch(page, baseOrigin, { allowMainDocumentStatus: status === 200 ? null : status });
    let res = null;
    try {
      res = await page.goto(url, { waitUntil: 'load' });
    } catch (err) {
      // e.g. a load that never ends; still report what the page asked for.
      return [`loading ${url} failed: ${err.message.split('\n')[0]}`, ...watched];
    }
    if (!res) problems.push('no response for the main document');
    else if (res.status() !== status) problems.push(`HTTP status ${res.status()}, expected ${status}`);
    if (new URL(page.url()).pathname !== new URL(url).pathname) problems.push(`redirected to ${page.url()}`);
    problems.push(...(await pageConventions(page)));
    if (screenshotName) {
      const file = await screenshot(page, screenshotName);
      log(`# screenshot ${path.relative(process.cwd(), file)}`);
      if (screenshotName === 'home.png' && process.env.OSEZ_SCREENSHOT === '1') {
        const dest = path.join(REPO_ROOT, 'docs', 'screenshot.png');
        await mkdir(path.dirname(dest), { recursive: true });
        await copyFile(file, dest);
        log(`# copied to ${dest}`);
      }
    }
    // Let late requests (lazy images, fonts) show up before judging.
    await page.waitForLoadState('networkidle', { timeout: 5_000 }).catch(() => {});
    problems.push(...watched);
  } finally {
    await context.close();
  }

  // 2. axe-core. The script is injected inline, which a strict
  // Content-Security-Policy (rightly) forbids: this second load bypasses CSP
  // for the injection only; the load above already reported any CSP
  // violation of the site's own resources as a console error.
  const axeContext = await newContext({ bypassCSP: true });
  await axeContext.addCookies(cookies);
  try {
    const page = await axeContext.newPage();
    await page.goto(url, { waitUntil: 'load' });
    problems.push(...(await runAxe(page)));
  } finally {
    await axeContext.close();
  }
  return problems;
}

async function firstResultHref(base, query) {
  const baseOrigin = new URL(base).origin;
  const context = await newContext();
  try {
    const page = await context.newPage();
    const res = await page.goto(new URL(`/recherche?q=${encodeURIComponent(query)}`, base).href);
    if (!res || res.status() !== 200) throw new Error(`/recherche?q=${query} answered ${res && res.status()}`);
    const link = page.locator('a.result-link').first();
    if ((await page.locator('a.result-link').count()) === 0) {
      throw new Error(`/recherche?q=${query} lists no a.result-link`);
    }
    const href = await link.getAttribute('href');
    const u = new URL(href, page.url());
    if (u.origin !== baseOrigin || !u.pathname.startsWith('/conseillers/')) {
      throw new Error(`first a.result-link is ${href}, expected a /conseillers/{id} URL on the server`);
    }
    return u.pathname + u.search;
  } finally {
    await context.close();
  }
}

async function keyboardTest(base) {
  const baseOrigin = new URL(base).origin;
  const problems = [];
  const context = await newContext();
  try {
    const page = await context.newPage();
    const watched = watch(page, baseOrigin);
    const res = await page.goto(new URL('/recherche?q=marketing', base).href);
    if (!res || res.status() !== 200) return [`/recherche?q=marketing answered ${res && res.status()}`];

    // Start from the top: an unfocusable-by-Tab anchor before everything else
    // becomes the sequential focus navigation starting point.
    await page.evaluate(() => {
      const start = document.createElement('span');
      start.tabIndex = -1;
      start.id = '__osez_kbd_start';
      document.body.prepend(start);
      start.focus();
      window.scrollTo(0, 0);
    });

    const walk = []; // descriptions of focused elements, in order
    const reachedAt = []; // Tab count at which #q, .facets, a.result-link were reached
    const noIndicator = new Map();
    let stage = 0; // 0: looking for #q, 1: for .facets, 2: for a.result-link, 3: done
    const stageNames = ['the search box #q', 'an element inside .facets', 'a result link a.result-link'];
    for (let i = 1; i <= MAX_TABS && stage < 3; i++) {
      await page.keyboard.press('Tab');
      const f = await page.evaluate(() => {
        const el = document.activeElement;
        if (!el || el === document.body || el === document.documentElement) return null;
        const seen = (window.__osezKbdSeen ||= new WeakSet());
        const again = seen.has(el);
        seen.add(el);
        const cs = getComputedStyle(el);
        const cls = typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\s+/).join('.') : '';
        const text = (el.getAttribute('aria-label') || el.textContent || el.value || '').trim().replace(/\s+/g, ' ').slice(0, 40);
        const href = el.getAttribute('href');
        const type = el.getAttribute('type');
        return {
          again,
          desc: `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${cls}${type ? `[type=${type}]` : ''}${href ? `[href=${href}]` : ''}${text ? ` "${text}"` : ''}`,
          isQ: el.id === 'q',
          qInSearchForm: el.id === 'q' && !!el.closest('form[role="search"]'),
          inFacets: !!el.closest('.facets'),
          isResult: el.matches('a.result-link'),
          outlineStyle: cs.outlineStyle,
          outlineWidth: cs.outlineWidth,
          boxShadow: cs.boxShadow,
        };
      });
      // One pass through the tab order only: stop when focus leaves the page
      // (after its last focusable element) or comes back to an element.
      if (!f) {
        walk.push(`${i}: (focus left the page: end of the tab order)`);
        break;
      }
      if (f.again) {
        walk.push(`${i}: ${f.desc} (again: the tab order wrapped around)`);
        break;
      }
      walk.push(`${i}: ${f.desc}`);
      const outline = f.outlineStyle !== 'none' && f.outlineWidth !== '0px';
      const shadow = f.boxShadow && f.boxShadow !== 'none';
      if (!outline && !shadow && !noIndicator.has(f.desc)) {
        noIndicator.set(f.desc, `outline-style ${f.outlineStyle}, outline-width ${f.outlineWidth}, box-shadow ${f.boxShadow}`);
      }
      if (stage === 0 && f.isQ) {
        if (!f.qInSearchForm) problems.push('#q is not inside a <form role="search">');
        reachedAt.push(i);
        stage = 1;
      } else if (stage === 1 && f.inFacets) {
        reachedAt.push(i);
        stage = 2;
      } else if (stage === 2 && f.isResult) {
        reachedAt.push(i);
        stage = 3;
      }
    }

    if (stage < 3) {
      problems.push(
        `Tab never reached ${stageNames[stage]} after the earlier targets (order expected: ${stageNames.join(', then ')}); ` +
          `focus went through:\n` +
          indent(walk.slice(0, 60).join('\n'), '  ') +
          (walk.length > 60 ? `\n  … (${walk.length - 60} more)` : ''),
      );
    } else {
      log(`# keyboard: #q after ${reachedAt[0]} Tab, .facets after ${reachedAt[1]}, a.result-link after ${reachedAt[2]}`);
      // Closed facet groups are one stop each: the first result is at most
      // 10 Tab presses after the search field (it took 42 with every facet
      // link in the way).
      const fromQ = reachedAt[2] - reachedAt[0];
      log(`# keyboard: first result ${fromQ} Tab presses after the search field`);
      if (fromQ > 10) problems.push(`the first result is ${fromQ} Tab presses after the search field (at most 10)`);
      const before = page.url();
      await Promise.all([
        page.waitForURL((u) => u.pathname.startsWith('/conseillers/'), { timeout: NAV_TIMEOUT_MS }),
        page.keyboard.press('Enter'),
      ]).catch((err) => {
        problems.push(`Enter on the focused result link did not lead to a /conseillers/ page (stayed at ${page.url()}, from ${before}): ${err.message.split('\n')[0]}`);
      });
    }

    for (const [desc, why] of noIndicator) problems.push(`no visible focus indicator on ${desc} (${why})`);
    await page.waitForLoadState('load').catch(() => {});
    problems.push(...watched);
  } finally {
    await context.close();
  }
  return problems;
}

async function consultationVoteTest(base) {
  const baseOrigin = new URL(base).origin;
  const problems = [];
  const context = await newContext({ javaScriptEnabled: false });
  try {
    const page = await context.newPage();
    const watched = watch(page, baseOrigin);
    const res = await page.goto(new URL('/consultations/ia-dans-les-tpe', base).href);
    if (!res || res.status() !== 200) return [`the vote page answered ${res && res.status()}`];
    const first = ((await page.locator('#proposition').textContent()) || '').trim();
    if (!first.includes('Proposition 1 sur')) problems.push(`the first proposal is not announced: ${JSON.stringify(first)}`);
    // By keyboard: focus the "D'accord" button and press Enter.
    await page.locator('form.vote-buttons button.agree').focus();
    await Promise.all([page.waitForLoadState('load'), page.waitForURL((u) => u.searchParams.get('choix') === 'agree'), page.keyboard.press('Enter')]);
    const status = ((await page.locator('.voted[role="status"]').textContent()) || '').replace(/\s+/g, ' ');
    if (!status.includes('Vote enregistré') || !status.includes("Vous êtes d'accord")) problems.push(`no confirmation: ${JSON.stringify(status.slice(0, 200))}`);
    const second = ((await page.locator('#proposition').textContent()) || '').trim();
    if (!second.includes('Proposition 2 sur')) problems.push(`the next proposal is not shown: ${JSON.stringify(second)}`);
    // axe needs scripts: the same page, with the same participant, in a
    // context that runs them.
    const withScripts = await newContext({ bypassCSP: true });
    try {
      await withScripts.addCookies(await context.cookies());
      const again = await withScripts.newPage();
      await again.goto(page.url());
      problems.push(...(await runAxe(again)).map((p) => `after a vote: ${p}`));
    } finally {
      await withScripts.close();
    }
    await Promise.all([page.waitForLoadState('load'), page.click('form.qualify button[value="like_it"]')]);
    if ((await page.locator('.voted').count()) !== 0) problems.push('the qualification was not taken (the confirmation is still shown)');
    const still = ((await page.locator('#proposition').textContent()) || '').trim();
    if (!still.includes('Proposition 2 sur')) problems.push(`after the qualification the page should stay on proposal 2: ${JSON.stringify(still)}`);
    problems.push(...watched);
  } finally {
    await context.close();
  }
  return problems;
}

async function noJavaScriptTest(base) {
  const baseOrigin = new URL(base).origin;
  const problems = [];
  const context = await newContext({ javaScriptEnabled: false });
  try {
    const page = await context.newPage();
    const watched = watch(page, baseOrigin);
    const res = await page.goto(new URL('/', base).href);
    if (!res || res.status() !== 200) return [`/ answered ${res && res.status()}`];
    const q = page.locator('form[role="search"] #q');
    if ((await q.count()) !== 1) return ['no search box #q inside a <form role="search"> on /'];
    await q.click();
    await q.pressSequentially('cybersecurite bordeaux');
    const navigated = page.waitForResponse(
      (r) => r.request().isNavigationRequest() && r.request().frame() === page.mainFrame() && r.url() !== res.url(),
      { timeout: NAV_TIMEOUT_MS },
    );
    await q.press('Enter');
    const results = await navigated;
    await page.waitForLoadState('load');
    if (results.status() !== 200) problems.push(`the results page ${results.url()} answered ${results.status()}`);
    const u = new URL(page.url());
    if (!(u.searchParams.get('q') || '').includes('cybersecurite')) {
      problems.push(`after submitting, the URL ${page.url()} does not carry q=cybersecurite bordeaux`);
    }
    const n = await page.locator('a.result-link').count();
    if (n < 1) problems.push(`the results page ${page.url()} lists no a.result-link`);
    else log(`# without JavaScript: ${n} result links at ${u.pathname}${u.search}`);
    problems.push(...watched);
  } finally {
    await context.close();
  }
  return problems;
}

async function liveTypingTest(base) {
  const baseOrigin = new URL(base).origin;
  const problems = [];
  const context = await newContext();
  try {
    const page = await context.newPage();
    const watched = watch(page, baseOrigin);
    const res = await page.goto(new URL('/', base).href);
    if (!res || res.status() !== 200) return [`/ answered ${res && res.status()}`];
    const q = page.locator('form[role="search"] #q');
    await q.click();
    // Typed as a person would, no Enter: the results zone must fill in by itself.
    await q.pressSequentially('cybers', { delay: 60 });
    const links = page.locator('#resultats-zone a.result-link');
    try {
      await links.first().waitFor({ state: 'attached', timeout: 10_000 });
    } catch {
      problems.push('typing "cybers" on / did not show results in #resultats-zone within 10 s');
    }
    const status = (await page.locator('#resultats-zone [role="status"]').textContent().catch(() => '')) || '';
    if (!/conseiller/.test(status)) problems.push(`the live region says ${JSON.stringify(status)}, expected a count of advisers`);
    if (new URL(page.url()).pathname !== '/') problems.push(`typing navigated away to ${page.url()}`);
    const n = await links.count();
    if (!problems.length) log(`# as you type: ${n} result links for "cybers", live region: ${status.trim()}`);
    problems.push(...watched);
  } finally {
    await context.close();
  }
  return problems;
}

async function editorPreviewTest(base, cookies) {
  const baseOrigin = new URL(base).origin;
  const problems = [];
  const context = await newContext();
  await context.addCookies(cookies);
  try {
    const page = await context.newPage();
    const watched = watch(page, baseOrigin);
    const res = await page.goto(new URL('/admin/ressources/nouvelle', base).href);
    if (!res || res.status() !== 200) return [`/admin/ressources/nouvelle answered ${res && res.status()}`];
    if (await page.locator('#w').isVisible()) problems.push('the webinar part shows for an article');
    await page.locator('#body').fill('## Une section\n\nDu **gras** et <b>du HTML</b>.');
    try {
      await page.locator('#apercu strong').first().waitFor({ state: 'attached', timeout: 10_000 });
    } catch {
      problems.push('the preview did not show the bold text within 10 s');
    }
    const told = (await page.locator('#apercu-problemes').textContent().catch(() => '')) || '';
    if (!/HTML/.test(told)) problems.push(`the preview does not say that HTML is refused: ${JSON.stringify(told)}`);
    if (await page.locator('#apercu b').count()) problems.push('raw HTML reached the preview');
    await page.locator('#kind').selectOption('webinaire');
    if (!(await page.locator('#w').isVisible())) problems.push('the webinar part stays hidden for a webinar');
    if (!problems.length) log('# editor: live preview rendered, HTML refused, webinar fields follow the type');
    problems.push(...watched);
  } finally {
    await context.close();
  }
  return problems;
}

async function registrationTest(base) {
  const baseOrigin = new URL(base).origin;
  const problems = [];
  const context = await newContext({ javaScriptEnabled: false });
  try {
    const page = await context.newPage();
    // The second round answers 409 (already registered), on purpose.
    const watched = watch(page, baseOrigin, { allowMainDocumentStatus: 409 });
    const path = '/ressources/webinaire-ia-et-relation-client/inscription';
    for (const round of [1, 2]) {
      await page.goto(new URL(path, base).href);
      await page.locator('#name').fill('Camille Durand');
      await page.locator('#email').fill('camille.durand@exemple.fr');
      await page.locator('#company').fill('Boulangerie Durand (démo)');
      const answered = await answerQuestion(page);
      if (answered.length) return [...answered, ...watched];
      await page.waitForTimeout(CONTACT_MIN_FILL_MS);
      await Promise.all([page.waitForLoadState('load'), page.locator('form[action$="/inscription"] button[type=submit]').click()]);
      const text = (await page.locator('.notice.success, .notice.error').first().textContent().catch(() => '')) || '';
      const expected = round === 1 ? /inscription est confirmée/ : /déjà inscrite/;
      if (!expected.test(text)) problems.push(`round ${round}: ${JSON.stringify(text.trim())}`);
    }
    if (!problems.length) log('# registration: confirmed, then the same address told it is registered already');
    problems.push(...watched);
  } finally {
    await context.close();
  }
  return problems;
}

// A real short video, made here by Debian's ffmpeg (VP8 in WebM, which
// Chromium plays without proprietary codecs), and captions whose lines
// fall inside it.
async function makeReplay() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'osez-replay-'));
  const video = path.join(dir, 'rediffusion.webm');
  const made = spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=duration=8:size=160x90:rate=10',
    '-c:v', 'libvpx', '-b:v', '150k', '-an', video], { encoding: 'utf8', timeout: 60_000 });
  if (made.error || made.status !== 0) {
    throw new Error(`ffmpeg could not make the test video (install Debian's ffmpeg): ${made.error ? made.error.message : made.stderr}`);
  }
  const captions = path.join(dir, 'sous-titres.vtt');
  await writeFile(captions, 'WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n<v Claire Martin>Bonjour et bienvenue.\n\n00:00:05.000 --> 00:00:07.000\n<v Claire Martin>Passons aux avis clients.\n');
  return { dir, video, captions };
}

async function replayTest(base, cookies) {
  const slug = 'webinaire-premiers-pas-avec-l-ia-generative';
  const baseOrigin = new URL(base).origin;
  const problems = [];
  const { dir, video, captions } = await makeReplay();
  const context = await newContext();
  await context.addCookies(cookies);
  try {
    const page = await context.newPage();
    const admin = new URL(`/admin/ressources/${slug}`, base).href;
    for (const [file, label] of [[video, 'Rediffusion du webinaire'], [captions, '']]) {
      await page.goto(admin);
      if (label) await page.locator('#label').fill(label);
      await page.locator('#file').setInputFiles(file);
      await Promise.all([page.waitForLoadState('load'), page.locator('#envoi-fichier button[type=submit]').click()]);
      const notice = (await page.locator('.notice.success, .notice.error').first().textContent().catch(() => '')) || '';
      if (!/fichiers sont à jour/.test(notice)) problems.push(`uploading ${path.basename(file)}: ${JSON.stringify(notice.trim())}`);
    }
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Publier maintenant' }).click()]);

    const ranges = [];
    page.on('response', (r) => { if (r.url().includes('/fichiers/') && r.status() === 206) ranges.push(r.headers()['content-range']); });
    const watched = watch(page, baseOrigin);
    await page.goto(new URL(`/ressources/${slug}#t-5`, base).href);
    const player = page.locator('video#lecteur');
    if (!(await player.count())) return [...problems, 'no player on the public page'];
    const at = () => player.evaluate((v) => v.currentTime);
    try {
      await page.waitForFunction(() => Math.abs(document.getElementById('lecteur').currentTime - 5) < 0.5, null, { timeout: 15_000 });
    } catch {
      problems.push(`arriving at #t-5 left the video at ${await at()} s`);
    }
    const tracks = await player.evaluate((v) => Array.from(v.textTracks).map((t) => `${t.kind}/${t.language}`));
    if (!tracks.includes('captions/fr')) problems.push(`captions track: ${JSON.stringify(tracks)}`);
    await page.locator('a.seek[data-t="1"]').click();
    try {
      await page.waitForFunction(() => Math.abs(document.getElementById('lecteur').currentTime - 1) < 0.9, null, { timeout: 15_000 });
    } catch {
      problems.push(`a click on the 0:01 line left the video at ${await at()} s`);
    }
    if (!ranges.length) problems.push('the browser got no 206 answer for the video');
    const duration = await player.evaluate((v) => v.duration);
    if (!problems.length) log(`# replay: ${duration.toFixed(1)} s video played from the page, ranges ${JSON.stringify(ranges.slice(0, 2))}, seeks to 5 s and 1 s`);
    problems.push(...watched.filter((w) => !/net::ERR_ABORTED/.test(w)));
  } finally {
    await context.close();
    await rm(dir, { recursive: true, force: true });
  }
  problems.push(...(await checkPage(base, `/ressources/${slug}`)));
  return problems;
}

// ---------------------------------------------------------------- contact forms

// The server refuses a contact form sent less than 3 s after it was shown.
const CONTACT_MIN_FILL_MS = 3_500;
// The ALTCHA proof of work runs in the page; slow on a busy machine.
const ALTCHA_SOLVE_TIMEOUT_MS = 60_000;
const NUMBER_WORDS = ['zéro', 'un', 'deux', 'trois', 'quatre', 'cinq', 'six', 'sept', 'huit', 'neuf'];

let adviserContact = null; // path of the form, found once

/**
 * The contact form of the first adviser found for "marketing", reached by
 * the "Contacter ce conseiller" link of the profile page.
 */
async function adviserContactPath(base) {
  if (adviserContact) return adviserContact;
  const profile = await firstResultHref(base, 'marketing');
  const context = await newContext();
  try {
    const page = await context.newPage();
    const res = await page.goto(new URL(profile, base).href);
    if (!res || res.status() !== 200) throw new Error(`${profile} answered ${res && res.status()}`);
    const link = page.getByRole('link', { name: /Contacter ce conseiller/ });
    if ((await link.count()) !== 1) {
      throw new Error(`${profile} has ${await link.count()} link(s) named "Contacter ce conseiller", expected 1`);
    }
    const u = new URL(await link.getAttribute('href'), page.url());
    const expected = `${new URL(profile, base).pathname}/contact`;
    if (u.origin !== new URL(base).origin || u.pathname !== expected) {
      throw new Error(`"Contacter ce conseiller" on ${profile} leads to ${u.href}, expected ${expected}`);
    }
    adviserContact = u.pathname;
    return u.pathname;
  } finally {
    await context.close();
  }
}

/**
 * Records the document's CSP violations (inline style or script, a worker
 * from blob: …) in window.__osezCsp. Chromium also logs each one as a
 * console error, which watch() reports, including those inside workers.
 */
async function recordCspViolations(context) {
  await context.addInitScript(() => {
    window.__osezCsp = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__osezCsp.push(`${e.effectiveDirective} refused ${e.blockedURI || '(inline)'} at ${e.sourceFile || '?'}:${e.lineNumber}`);
    });
  });
}

async function cspViolations(page, where) {
  const found = await page.evaluate(() => window.__osezCsp || []).catch((err) => [`(could not read: ${err.message})`]);
  return found.map((v) => `CSP violation on ${where}: ${v}`);
}

async function fillContact(page, fields) {
  const values = {
    name: 'Camille Martin',
    email: 'camille.martin@exemple.fr',
    company: 'Boulangerie Martin',
    commune: '69003',
    need: 'ia_generative',
    message: "Bonjour, j'aimerais savoir comment l'IA générative peut aider ma boulangerie à répondre aux clients.",
    ...fields,
  };
  await page.fill('#name', values.name);
  await page.fill('#email', values.email);
  await page.fill('#company', values.company);
  await page.fill('#commune', values.commune);
  await page.selectOption('#need', values.need);
  await page.fill('#message', values.message);
}

/** Answers "Combien font trois plus quatre ? Répondez en chiffres." in #reponse; returns problems. */
async function answerQuestion(page) {
  const label = ((await page.textContent('label[for="reponse"]')) || '').trim().replace(/\s+/g, ' ');
  const m = /Combien font (\p{L}+) plus (\p{L}+) \?/u.exec(label);
  const a = m ? NUMBER_WORDS.indexOf(m[1].toLowerCase()) : -1;
  const b = m ? NUMBER_WORDS.indexOf(m[2].toLowerCase()) : -1;
  if (a < 0 || b < 0) return [`the label of #reponse is ${JSON.stringify(label)}, expected "Combien font <nombre> plus <nombre> ? …"`];
  if (!/Répondez en chiffres/.test(label)) return [`the label of #reponse does not say "Répondez en chiffres": ${JSON.stringify(label)}`];
  await page.fill('#reponse', String(a + b));
  log(`# question: ${JSON.stringify(label)} -> ${a + b}`);
  return [];
}

/**
 * Waits until the form has been shown CONTACT_MIN_FILL_MS, then sends it
 * with "Envoyer le message"; returns the response to the POST.
 */
async function sendContact(page, shownAt) {
  const wait = shownAt + CONTACT_MIN_FILL_MS - Date.now();
  if (wait > 0) await page.waitForTimeout(wait);
  const posted = page.waitForResponse(
    (r) => r.request().isNavigationRequest() && r.request().frame() === page.mainFrame() && r.request().method() === 'POST',
    { timeout: NAV_TIMEOUT_MS },
  );
  await page.getByRole('button', { name: 'Envoyer le message' }).click();
  const res = await posted;
  await page.waitForLoadState('load');
  return res;
}

/** What the server said, for a failure message. */
async function pageNotices(page) {
  const notices = await page.locator('[role="alert"], .field-error').allTextContents().catch(() => []);
  return notices.length ? ` (the page says: ${notices.map((t) => t.trim().replace(/\s+/g, ' ')).join(' | ')})` : '';
}

async function contactWithJavaScriptTest(base) {
  const baseOrigin = new URL(base).origin;
  const problems = [];
  const context = await newContext();
  await recordCspViolations(context);
  try {
    const page = await context.newPage();
    const watched = watch(page, baseOrigin);
    const challenges = [];
    page.on('response', (r) => {
      if (new URL(r.url()).pathname === '/altcha/defi') challenges.push(r.status());
    });
    page.on('worker', (w) => {
      const u = new URL(w.url());
      if (u.origin !== baseOrigin) problems.push(`the widget started a worker from ${w.url()}, not from the site`);
    });
    const res = await page.goto(new URL('/contact', base).href);
    const shownAt = Date.now();
    if (!res || res.status() !== 200) return [`/contact answered ${res && res.status()}`];

    const hidden = await page
      .locator('#question-verification')
      .waitFor({ state: 'hidden', timeout: 5_000 })
      .then(() => true)
      .catch(() => false);
    if (!hidden) {
      const q = await page.evaluate(() => {
        const el = document.getElementById('question-verification');
        if (!el) return null;
        const r = el.getBoundingClientRect();
        return { hidden: el.hidden, display: getComputedStyle(el).display, height: Math.round(r.height) };
      });
      problems.push(
        'the question for browsers without JavaScript (#question-verification) is still shown once the widget runs' +
          (q ? ` (hidden attribute ${q.hidden}, computed display ${JSON.stringify(q.display)}, height ${q.height} px)` : ''),
      );
    }
    await fillContact(page);

    const checkbox = page.locator('altcha-widget').getByLabel('Je ne suis pas un robot');
    if ((await checkbox.count()) !== 1 || (await checkbox.getAttribute('type')) !== 'checkbox') {
      problems.push(`no checkbox labelled "Je ne suis pas un robot" in <altcha-widget> (found ${await checkbox.count()})`);
      problems.push(...(await cspViolations(page, '/contact')), ...watched);
      return problems;
    }
    // The widget's (invisible until checked) tick mark lies over the middle
    // of the box; a person's click there works too, but playwright's
    // hit-target check wants the input itself on top: click near a corner.
    await checkbox.click({ position: { x: 3, y: 3 } });
    const started = Date.now();
    const solved = await page
      .waitForFunction(() => !!document.querySelector('#contact-form input[name="altcha"]')?.value, null, {
        timeout: ALTCHA_SOLVE_TIMEOUT_MS,
      })
      .then(() => true)
      .catch(() => false);
    const widgetText = ((await page.locator('altcha-widget').textContent()) || '').trim().replace(/\s+/g, ' ');
    if (!solved) {
      problems.push(
        `the widget did not fill the hidden "altcha" input within ${ALTCHA_SOLVE_TIMEOUT_MS / 1000} s; ` +
          `it says ${JSON.stringify(widgetText)}; GET /altcha/defi answered: ${JSON.stringify(challenges)}`,
      );
      problems.push(...(await cspViolations(page, '/contact')), ...watched);
      return problems;
    }
    await page
      .locator('altcha-widget')
      .filter({ hasText: 'Vérifié' })
      .waitFor({ timeout: 5_000 })
      .catch(async () => problems.push(`the widget does not say "Vérifié": ${JSON.stringify(((await page.locator('altcha-widget').textContent()) || '').trim())}`));
    const announced = (await page.locator('altcha-widget ~ [role="status"]').first().textContent().catch(() => '')) || '';
    if (!/réussie/.test(announced)) problems.push(`the success is not announced in the widget's live region: ${JSON.stringify(announced)}`);
    log(`# ALTCHA solved in ${((Date.now() - started) / 1000).toFixed(1)} s; GET /altcha/defi answered ${challenges.join(', ')}`);
    problems.push(...(await cspViolations(page, '/contact')));

    const sent = await sendContact(page, shownAt);
    const text = (await page.textContent('main')) || '';
    if (sent.status() !== 303) problems.push(`sending the form answered ${sent.status()}, expected 303 to the confirmation${await pageNotices(page)}`);
    if (!page.url().endsWith('?envoye=1')) problems.push(`the confirmation is not the page redirected to: ${page.url()}`);
    if (!/Votre message a bien été envoyé/.test(text)) {
      problems.push(`the page after sending does not say "Votre message a bien été envoyé"${await pageNotices(page)}`);
    }
    problems.push(...(await cspViolations(page, 'the page after sending')));
    problems.push(...watched);
  } finally {
    await context.close();
  }
  return problems;
}

async function contactAdviserWithoutJavaScriptTest(base) {
  const baseOrigin = new URL(base).origin;
  const problems = [];
  const contactPath = await adviserContactPath(base);
  const context = await newContext({ javaScriptEnabled: false });
  try {
    const page = await context.newPage();
    const watched = watch(page, baseOrigin);
    const res = await page.goto(new URL(contactPath, base).href);
    const shownAt = Date.now();
    if (!res || res.status() !== 200) return [`${contactPath} answered ${res && res.status()}`];
    if (!(await page.locator('#reponse').isVisible())) problems.push('without JavaScript, the question field #reponse is not shown');
    await fillContact(page, { email: 'dominique.petit@exemple.fr', company: '', commune: 'Lyon', need: 'ia_generative' });
    const answered = await answerQuestion(page);
    if (answered.length) return [...answered, ...watched];
    const sent = await sendContact(page, shownAt);
    const text = ((await page.textContent('main')) || '').replace(/\s+/g, ' ');
    if (sent.status() !== 303) problems.push(`sending the form answered ${sent.status()}, expected 303 to the confirmation${await pageNotices(page)}`);
    if (!page.url().endsWith('?envoye=1')) problems.push(`the confirmation is not the page redirected to: ${page.url()}`);
    if (!/Votre message a bien été envoyé/.test(text)) {
      problems.push(`the page after sending does not say "Votre message a bien été envoyé"${await pageNotices(page)}`);
    } else if (!/n'a pas encore de compte/.test(text)) {
      problems.push(`the page does not say the demo adviser "n'a pas encore de compte": ${JSON.stringify(text.slice(0, 400))}`);
    }
    problems.push(...watched);
  } finally {
    await context.close();
  }
  return problems;
}

/**
 * Sends /contact with an empty name and an invalid address. The browser's
 * own checks (required, type=email) would stop it first: they are switched
 * off (form.noValidate) to reach the server's, which every browser gets.
 */
async function sendInvalidContact(page, base, { answer }) {
  const res = await page.goto(new URL('/contact', base).href);
  const shownAt = Date.now();
  if (!res || res.status() !== 200) return { problems: [`/contact answered ${res && res.status()}`] };
  await fillContact(page, { name: '', email: 'camille.exemple.fr' });
  const problems = answer ? await answerQuestion(page) : [];
  await page.$eval('#contact-form', (form) => {
    form.noValidate = true;
  });
  const sent = await sendContact(page, shownAt);
  return { sent, problems };
}

async function contactErrorsTest(base) {
  const baseOrigin = new URL(base).origin;
  const problems = [];

  // 1. Without JavaScript: status, summary, French field errors, aria-invalid.
  const context = await newContext({ javaScriptEnabled: false });
  try {
    const page = await context.newPage();
    const watched = watch(page, baseOrigin, { allowMainDocumentStatus: 422 });
    const { sent, problems: sending } = await sendInvalidContact(page, base, { answer: true });
    problems.push(...sending);
    if (!sent) return problems;
    if (sent.status() !== 422) problems.push(`the invalid form answered ${sent.status()}, expected 422${await pageNotices(page)}`);
    const alerts = (await page.getByRole('alert').allTextContents()).map((t) => t.trim().replace(/\s+/g, ' '));
    if (!alerts.some((t) => /Le message n'a pas été envoyé/.test(t))) {
      problems.push(`no role="alert" summary "Le message n'a pas été envoyé"; alerts: ${JSON.stringify(alerts)}`);
    }
    const expected = { name: /nom/i, email: /adresse e-mail.*valide/i };
    for (const [field, french] of Object.entries(expected)) {
      const input = page.locator(`#${field}`);
      if ((await input.getAttribute('aria-invalid')) !== 'true') problems.push(`#${field} is not aria-invalid="true"`);
      const describedBy = (await input.getAttribute('aria-describedby')) || '';
      const error = describedBy ? ((await page.locator(`[id="${describedBy}"]`).textContent().catch(() => '')) || '').trim() : '';
      if (!error) problems.push(`#${field} has no error message tied to it by aria-describedby (${JSON.stringify(describedBy)})`);
      else if (!french.test(error)) problems.push(`the error of #${field} is ${JSON.stringify(error)}, expected French text matching ${french}`);
    }
    if ((await page.inputValue('#email')) !== 'camille.exemple.fr') problems.push('the page with errors lost what was typed in #email');
    const others = await page.locator('[aria-invalid="true"]').evaluateAll((els) => els.map((e) => e.id));
    const unexpected = others.filter((id) => !['name', 'email'].includes(id));
    if (unexpected.length) problems.push(`other fields marked invalid: ${unexpected.join(', ')}`);
    if (!problems.length) log(`# errors without JavaScript: 422, ${alerts.join(' | ')}`);
    problems.push(...watched);
  } finally {
    await context.close();
  }

  // 2. axe on the same error page, with JavaScript (axe runs in the page;
  // CSP bypassed for its injection only, as in checkPage).
  const axeContext = await newContext({ bypassCSP: true });
  try {
    const page = await axeContext.newPage();
    const { sent, problems: sending } = await sendInvalidContact(page, base, { answer: false });
    problems.push(...sending.map((p) => `with JavaScript: ${p}`));
    if (!sent) return problems;
    if (sent.status() !== 422) {
      problems.push(`with JavaScript, the invalid form answered ${sent.status()}, expected 422${await pageNotices(page)}`);
    }
    problems.push(...(await pageConventions(page)).map((p) => `page with errors: ${p}`));
    problems.push(...(await runAxe(page)).map((p) => `page with errors: ${p}`));
  } finally {
    await axeContext.close();
  }
  return problems;
}

// ---------------------------------------------------------------- assistant

const ASSISTANT_NEED = "Je tiens une boulangerie à Nantes et je cherche quelqu'un pour mon site internet";
const ASSISTANT_VAGUE = 'Je cherche un conseiller.';
const AI_LABEL = 'Réponse générée par une IA';
const HANDOFF_FIRST_LINE = "Demande préparée avec l'assistant d'Osez.";

/** Opens /assistant; marks the document, to tell later whether the page was left. */
async function openAssistant(page, base) {
  const res = await page.goto(new URL('/assistant', base).href);
  if (!res || res.status() !== 200) throw new Error(`/assistant answered ${res && res.status()}`);
  await page.evaluate(() => {
    window.__osezSamePage = true;
  });
}

/** True while the document opened by openAssistant is still the one shown. */
async function stillSamePage(page) {
  return page.evaluate(() => window.__osezSamePage === true).catch(() => false);
}

/** The conversation as the log shows it: one entry per <li> of #assistant-log. */
async function assistantLog(page) {
  return page.$$eval('#assistant-log > li', (items) =>
    items.map((li) => ({
      from: li.classList.contains('from-assistant') ? 'assistant' : li.classList.contains('from-person') ? 'person' : li.className,
      text: li.textContent.replace(/\s+/g, ' ').trim(),
      adviserLinks: li.querySelectorAll('a[href^="/conseillers/"]').length,
    })),
  );
}

/** Problems with an assistant's reply that should recommend advisers. */
function recommendationProblems(reply, where) {
  const problems = [];
  if (!reply.text.includes(AI_LABEL)) problems.push(`${where}: the reply does not say "${AI_LABEL}": ${JSON.stringify(reply.text.slice(0, 300))}`);
  if (reply.adviserLinks < 1) problems.push(`${where}: the reply has no link to /conseillers/: ${JSON.stringify(reply.text.slice(0, 300))}`);
  if (!reply.text.includes('Pourquoi :')) problems.push(`${where}: the reply gives no "Pourquoi :" for its recommendations`);
  return problems;
}

/**
 * With JavaScript: does `act` (press Envoyer, click a quick reply…), then
 * waits for the script's POST /assistant (a fetch asking for JSON, not a
 * navigation) and for a new reply in the log, or an error shown instead.
 * Returns { reply, problems }: reply is the last log entry, when one came.
 */
async function chatExchange(page, act, what) {
  const problems = [];
  const before = await page.locator('#assistant-log > li.from-assistant').count();
  const posted = page.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname === '/assistant');
  await act();
  const req = await posted;
  if (req.isNavigationRequest()) problems.push(`${what}: the message was posted by navigating, not by the page's script`);
  if (!(req.headers()['accept'] || '').includes('application/json')) {
    problems.push(`${what}: the POST does not ask for JSON (Accept: ${req.headers()['accept']})`);
  }
  const came = await page
    .waitForFunction(
      (n) => document.querySelectorAll('#assistant-log > li.from-assistant').length > n || !!document.getElementById('assistant-erreur'),
      before,
      { timeout: ACTION_TIMEOUT_MS },
    )
    .then(() => true)
    .catch(() => false);
  const error = await page.evaluate(() => document.getElementById('assistant-erreur')?.textContent ?? null).catch(() => null);
  if (!came || error) {
    problems.push(`${what}: no reply in #assistant-log${error ? `; the page says ${JSON.stringify(error.trim())}` : ` within ${ACTION_TIMEOUT_MS / 1000} s`}`);
    return { reply: null, problems };
  }
  const entries = await assistantLog(page);
  const reply = entries[entries.length - 1];
  if (reply.from !== 'assistant') problems.push(`${what}: the log does not end with the assistant's reply: ${JSON.stringify(entries.map((e) => e.from))}`);
  return { reply, problems };
}

/** With JavaScript: types `text` in "Votre message" and presses Envoyer. */
function sendMessage(page, text) {
  return chatExchange(
    page,
    async () => {
      await page.getByLabel('Votre message').fill(text);
      await page.getByRole('button', { name: 'Envoyer', exact: true }).click();
    },
    `sending ${JSON.stringify(text)}`,
  );
}

/**
 * The conversation is a list, #assistant-log, inside a polite live region
 * (role="log"): what the script adds to it is read out.
 */
async function logProblems(page) {
  const attrs = await page
    .$eval('#assistant-log', (el) => {
      const region = el.closest('[role="log"]');
      return { tag: el.tagName.toLowerCase(), region: !!region, live: region && region.getAttribute('aria-live') };
    })
    .catch(() => null);
  if (!attrs) return ['no #assistant-log on /assistant'];
  const problems = [];
  if (attrs.tag !== 'ol') problems.push(`#assistant-log is a <${attrs.tag}>, expected an <ol>`);
  if (!attrs.region) problems.push('#assistant-log is not inside (or itself) an element with role="log"');
  else if (attrs.live !== 'polite') problems.push(`the role="log" region of #assistant-log has aria-live ${JSON.stringify(attrs.live)}, expected "polite"`);
  return problems;
}

/**
 * From a page of /assistant with a conversation: "Parler à une personne"
 * opens the team's contact form, its message prepared from the
 * conversation, and says so. Returns problems.
 */
async function handoffProblems(page) {
  const problems = [];
  const link = page.getByRole('link', { name: 'Parler à une personne' });
  if ((await link.count()) !== 1) return [`${await link.count()} link(s) "Parler à une personne" on /assistant, expected 1`];
  await Promise.all([page.waitForURL((u) => u.pathname === '/contact'), link.click()]);
  const u = new URL(page.url());
  if (u.searchParams.get('depuis') !== 'assistant') problems.push(`"Parler à une personne" led to ${u.pathname}${u.search}, expected /contact?depuis=assistant`);
  const message = await page.inputValue('#message').catch(() => '');
  if (!message.includes(HANDOFF_FIRST_LINE)) {
    problems.push(`the contact form's message does not hold "${HANDOFF_FIRST_LINE}": ${JSON.stringify(message.slice(0, 300))}`);
  }
  const notices = (await page.locator('.notice[role="status"]').allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim());
  if (!notices.some((t) => t.includes("préparé par l'assistant"))) {
    problems.push(`the contact form does not say its message was "préparé par l'assistant"; notices: ${JSON.stringify(notices)}`);
  }
  return problems;
}

/**
 * With JavaScript, CSP enforced: a need in a sentence gets a reply in the
 * log, without leaving the page; then "Parler à une personne".
 */
async function assistantChatTest(base) {
  const baseOrigin = new URL(base).origin;
  const problems = [];
  const context = await newContext();
  await recordCspViolations(context);
  try {
    const page = await context.newPage();
    const watched = watch(page, baseOrigin);
    await openAssistant(page, base);
    problems.push(...(await logProblems(page)));
    const { reply, problems: sending } = await sendMessage(page, ASSISTANT_NEED);
    problems.push(...sending);
    if (reply) {
      problems.push(...recommendationProblems(reply, 'with JavaScript'));
      const entries = await assistantLog(page);
      const mine = entries.filter((e) => e.from === 'person');
      if (mine.length !== 1 || !mine[0].text.includes(ASSISTANT_NEED)) {
        problems.push(`the log does not show the message sent once: ${JSON.stringify(mine.map((e) => e.text))}`);
      }
      log(`# assistant: reply with ${reply.adviserLinks} adviser link(s) in the log`);
    }
    if (!(await stillSamePage(page))) problems.push(`sending the message left the page (now at ${page.url()})`);
    problems.push(...(await cspViolations(page, '/assistant')));
    if (reply) problems.push(...(await handoffProblems(page)));
    problems.push(...(await cspViolations(page, '/contact?depuis=assistant')));
    problems.push(...watched);
  } finally {
    await context.close();
  }
  return problems;
}

/**
 * axe (CSP bypassed for its injection only, as in checkPage) on /assistant
 * once the script has added a reply with recommendations, then on the
 * contact form that "Parler à une personne" prepares from it.
 */
async function assistantAxeTest(base) {
  const problems = [];
  const context = await newContext({ bypassCSP: true });
  try {
    const page = await context.newPage();
    await openAssistant(page, base);
    const { reply, problems: sending } = await sendMessage(page, ASSISTANT_NEED);
    problems.push(...sending);
    if (!reply) return problems;
    problems.push(...recommendationProblems(reply, 'axe run'));
    problems.push(...(await runAxe(page)).map((p) => `/assistant after a reply: ${p}`));
    problems.push(...(await handoffProblems(page)));
    problems.push(...(await pageConventions(page)).map((p) => `/contact?depuis=assistant: ${p}`));
    problems.push(...(await runAxe(page)).map((p) => `/contact?depuis=assistant: ${p}`));
  } finally {
    await context.close();
  }
  return problems;
}

/** With JavaScript: a vague message gets quick replies; one of them, clicked, gets a new reply. */
async function assistantQuickRepliesTest(base) {
  const baseOrigin = new URL(base).origin;
  const problems = [];
  const context = await newContext();
  await recordCspViolations(context);
  try {
    const page = await context.newPage();
    const watched = watch(page, baseOrigin);
    await openAssistant(page, base);
    const first = await sendMessage(page, ASSISTANT_VAGUE);
    problems.push(...first.problems);
    if (!first.reply) return [...problems, ...watched];
    const buttons = page.locator('.assistant-quick button');
    const labels = (await buttons.allTextContents()).map((t) => t.trim());
    if (labels.length < 2) return [...problems, `fewer than two quick replies after ${JSON.stringify(ASSISTANT_VAGUE)}: ${JSON.stringify(labels)}`, ...watched];
    log(`# assistant quick replies: ${labels.join(' | ')}`);
    const choice = labels[0];
    const second = await chatExchange(page, () => buttons.first().click(), `the quick reply ${JSON.stringify(choice)}`);
    problems.push(...second.problems);
    if (second.reply) {
      const entries = await assistantLog(page);
      const mine = entries.filter((e) => e.from === 'person').map((e) => e.text);
      if (!mine[mine.length - 1] || !mine[mine.length - 1].includes(choice)) {
        problems.push(`the quick reply is not shown as the person's message: ${JSON.stringify(mine)}`);
      }
      if (!second.reply.text.includes(AI_LABEL)) problems.push(`the reply to the quick reply does not say "${AI_LABEL}"`);
    }
    if (!(await stillSamePage(page))) problems.push(`the quick reply left the page (now at ${page.url()})`);
    problems.push(...(await cspViolations(page, '/assistant')));
    problems.push(...watched);
  } finally {
    await context.close();
  }
  return problems;
}

/**
 * Without JavaScript: the form posts the page, which comes back at #fin
 * with the conversation; a quick reply is a submit button; "Effacer la
 * conversation" erases it.
 */
async function assistantWithoutJavaScriptTest(base) {
  const baseOrigin = new URL(base).origin;
  const problems = [];
  const context = await newContext({ javaScriptEnabled: false });
  try {
    const page = await context.newPage();
    const watched = watch(page, baseOrigin);
    await openAssistant(page, base);
    problems.push(...(await logProblems(page)));
    const submit = async (button, what) => {
      const posted = page.waitForResponse(
        (r) => r.request().isNavigationRequest() && r.request().method() === 'POST' && r.request().frame() === page.mainFrame(),
      );
      // The page after the redirect: a new document, even at the same URL.
      const arrived = page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame() });
      await button.click();
      const res = await posted;
      await arrived;
      await page.waitForLoadState('load');
      if (res.status() !== 303) problems.push(`${what} answered ${res.status()}, expected 303`);
    };
    await page.getByLabel('Votre message').fill(ASSISTANT_VAGUE);
    await submit(page.getByRole('button', { name: 'Envoyer', exact: true }), 'sending the form');
    let u = new URL(page.url());
    if (u.pathname !== '/assistant' || u.hash !== '#fin') problems.push(`after sending, the page is ${page.url()}, expected /assistant#fin`);
    let entries = await assistantLog(page);
    if (entries.length !== 2 || entries[0].from !== 'person' || !entries[0].text.includes(ASSISTANT_VAGUE) || entries[1].from !== 'assistant') {
      return [...problems, `after sending, the log shows ${JSON.stringify(entries.map((e) => `${e.from}: ${e.text.slice(0, 60)}`))}, expected the message then a reply`, ...watched];
    }
    if (!entries[1].text.includes(AI_LABEL)) problems.push(`the reply does not say "${AI_LABEL}"`);

    const quick = page.locator('form.assistant-quick button[type="submit"]');
    const labels = (await quick.allTextContents()).map((t) => t.trim());
    if (labels.length < 2) return [...problems, `fewer than two quick-reply buttons without JavaScript: ${JSON.stringify(labels)}`, ...watched];
    await submit(quick.first(), `the quick reply ${JSON.stringify(labels[0])}`);
    entries = await assistantLog(page);
    const last = entries.slice(-2);
    if (entries.length !== 4 || last[0].from !== 'person' || !last[0].text.includes(labels[0]) || last[1].from !== 'assistant') {
      problems.push(`after the quick reply ${JSON.stringify(labels[0])}, the log shows ${JSON.stringify(entries.map((e) => `${e.from}: ${e.text.slice(0, 60)}`))}`);
    }
    log(`# assistant without JavaScript: ${entries.length} messages after the quick reply ${JSON.stringify(labels[0])}`);
    // axe needs scripts: the same conversation, as the server shows it,
    // in a context that runs them (CSP bypassed for the injection only).
    const withScripts = await newContext({ bypassCSP: true });
    try {
      await withScripts.addCookies(await context.cookies());
      const again = await withScripts.newPage();
      await again.goto(new URL('/assistant', base).href);
      const shown = await assistantLog(again);
      if (shown.length !== entries.length) problems.push(`with the same cookie, /assistant shows ${shown.length} message(s), expected ${entries.length}`);
      problems.push(...(await runAxe(again)).map((p) => `/assistant with a conversation, as the server shows it: ${p}`));
    } finally {
      await withScripts.close();
    }

    await submit(page.getByRole('button', { name: 'Effacer la conversation' }), 'erasing the conversation');
    u = new URL(page.url());
    if (u.pathname !== '/assistant') problems.push(`after erasing, the page is ${page.url()}`);
    const said = ((await page.textContent('main')) || '').replace(/\s+/g, ' ');
    if (!said.includes('La conversation a été effacée')) problems.push('after erasing, the page does not say "La conversation a été effacée"');
    entries = await assistantLog(page);
    if (entries.length) problems.push(`after erasing, the log still shows ${entries.length} message(s)`);
    problems.push(...watched);
  } finally {
    await context.close();
  }
  return problems;
}

/**
 * Keyboard only, with JavaScript: Tab reaches "Votre message", then
 * Envoyer (Enter sends); after the reply, Tab from the top reaches the
 * quick replies, each with a visible focus indicator, and Enter on one
 * gets a new reply.
 */
async function assistantKeyboardTest(base) {
  const problems = [];
  const context = await newContext();
  try {
    const page = await context.newPage();
    const watched = watch(page, new URL(base).origin);
    await openAssistant(page, base);
    const fromTop = () =>
      page.evaluate(() => {
        let start = document.getElementById('__osez_kbd_start');
        if (!start) {
          start = document.createElement('span');
          start.tabIndex = -1;
          start.id = '__osez_kbd_start';
          document.body.prepend(start);
        }
        start.focus();
      });
    // Tab until the focused element matches `selector`; its focus must show.
    const tabTo = async (selector, what) => {
      for (let i = 1; i <= MAX_TABS; i++) {
        await page.keyboard.press('Tab');
        const f = await page.evaluate((sel) => {
          const el = document.activeElement;
          if (!el || !el.matches(sel)) return null;
          const cs = getComputedStyle(el);
          return { outlineStyle: cs.outlineStyle, outlineWidth: cs.outlineWidth, boxShadow: cs.boxShadow };
        }, selector);
        if (f) {
          const outline = f.outlineStyle !== 'none' && f.outlineWidth !== '0px';
          if (!outline && (!f.boxShadow || f.boxShadow === 'none')) problems.push(`no visible focus indicator on ${what}`);
          return i;
        }
      }
      problems.push(`Tab never reached ${what}`);
      return null;
    };
    await fromTop();
    const field = await tabTo('#assistant-form textarea#message', 'the field "Votre message"');
    if (!field) return [...problems, ...watched];
    await page.keyboard.type(ASSISTANT_VAGUE);
    const envoyer = await tabTo('#assistant-form button[type="submit"]', 'the Envoyer button');
    if (!envoyer) return [...problems, ...watched];
    const first = await chatExchange(page, () => page.keyboard.press('Enter'), 'Enter on Envoyer');
    problems.push(...first.problems);
    if (!first.reply) return [...problems, ...watched];
    await fromTop();
    const quick = await tabTo('.assistant-quick button', 'a quick reply');
    if (quick) {
      const choice = ((await page.evaluate(() => document.activeElement.textContent)) || '').trim();
      log(`# assistant keyboard: "Votre message" after ${field} Tab, Envoyer ${envoyer} more, a quick reply (${choice}) after ${quick} from the top`);
      const second = await chatExchange(page, () => page.keyboard.press('Enter'), `Enter on the quick reply ${JSON.stringify(choice)}`);
      problems.push(...second.problems);
    }
    if (!(await stillSamePage(page))) problems.push(`the keyboard left the page (now at ${page.url()})`);
    problems.push(...watched);
  } finally {
    await context.close();
  }
  return problems;
}

// ---------------------------------------------------------------- main


// ---------------------------------------------------------------- back office

const ADMIN_EMAIL = 'admin.navigateur@exemple.fr';
const ADMIN_PASSWORD = 'une phrase de passe pour le navigateur';

/** Creates the admin account with `osez admin create`, password on stdin. */
function createAdmin() {
  const dataDir = serverDataDir || process.env.OSEZ_DATA_DIR;
  if (!dataDir) {
    throw new Error('the back-office tests need the data directory: set OSEZ_DATA_DIR with OSEZ_BASE_URL');
  }
  const bin = path.resolve(HERE, process.env.OSEZ_BIN || '../../target/release/osez');
  const out = spawnSync(bin, ['admin', 'create', '--email', ADMIN_EMAIL, '--role', 'admin', '--data-dir', dataDir], {
    input: `${ADMIN_PASSWORD}\n${ADMIN_PASSWORD}\n`,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (out.status !== 0) throw new Error(`osez admin create failed (${out.status}): ${out.stderr}`);
}

const ADVISER_EMAIL = 'conseil.navigateur@exemple.fr';

/** An adviser account linked to the profile at `profilePath`, made by the command line. */
function createAdviser(profilePath) {
  const dataDir = serverDataDir || process.env.OSEZ_DATA_DIR;
  const bin = path.resolve(HERE, process.env.OSEZ_BIN || '../../target/release/osez');
  const id = decodeURIComponent(profilePath.split('/').pop());
  const out = spawnSync(bin, ['admin', 'create', '--email', ADVISER_EMAIL, '--role', 'adviser', '--adviser', id,
    '--data-dir', dataDir], { input: `${ADMIN_PASSWORD}\n${ADMIN_PASSWORD}\n`, encoding: 'utf8', timeout: 60_000 });
  if (out.status !== 0) throw new Error(`osez admin create --role adviser failed (${out.status}): ${out.stderr}`);
}

/**
 * An adviser proposes a workshop in Lyon without JavaScript: French errors
 * first, then the proposal, waiting for the team; the admin publishes it;
 * it shows on the agenda, on the adviser's profile and beside a search
 * near Villeurbanne. Every page on the way goes through axe.
 */
async function eventProposalTest(base, adminCookies) {
  const baseOrigin = new URL(base).origin;
  const problems = [];
  const profilePath = await firstResultHref(base, 'marketing');
  createAdviser(profilePath);
  const context = await newContext({ javaScriptEnabled: false });
  let adviserCookies = [];
  const title = 'Atelier IA : vos devis en une matinée (démonstration)';
  try {
    const page = await context.newPage();
    const watched = watch(page, baseOrigin, { allowMainDocumentStatus: 422 });
    await page.goto(new URL('/connexion', base).href);
    await page.fill('#email', ADVISER_EMAIL);
    await page.fill('#password', ADMIN_PASSWORD);
    await Promise.all([page.waitForURL((u) => u.pathname === '/admin'), page.click('button[type=submit]')]);
    adviserCookies = await context.cookies();
    await page.goto(new URL('/admin/evenements/nouveau', base).href);
    // A title and a summary (the browser requires them), an unknown
    // commune, no date, no theme: every mistake, in French, on its field.
    await page.check('#w_place-presentiel');
    await page.fill('#title', title);
    await page.fill('#summary', 'Une matinée pour faire rédiger ses devis par une IA et les relire, avec un conseiller.');
    await page.fill('#w_commune', 'Atlantide');
    await Promise.all([page.waitForLoadState('load'), page.click('form#editeur button[type=submit]:not([name])')]);
    const summary = (await page.locator('#erreurs').textContent().catch(() => '')) || '';
    for (const expected of ['Choisissez au moins un thème', 'Commune introuvable', 'Indiquez la date']) {
      if (!summary.includes(expected)) problems.push(`the error summary lacks "${expected}": ${JSON.stringify(summary.trim().slice(0, 300))}`);
    }
    if ((await page.getAttribute('#w_commune', 'aria-invalid')) !== 'true') problems.push('#w_commune is not aria-invalid');
    const day = new Date(Date.now() + 12 * 86_400_000).toISOString().slice(0, 10);
    await page.fill('#title', title);
    await page.fill('#summary', 'Une matinée pour faire rédiger ses devis par une IA et les relire, avec un conseiller.');
    await page.fill('#body', '## Programme\n\nDes exercices sur vos propres devis.\n\n## À apporter\n\nUn ordinateur portable.');
    await page.check('#themes-intelligence_artificielle');
    await page.fill('#w_starts', `${day}T09:30`);
    await page.fill('#w_commune', '69003');
    await page.fill('#w_address', '3 rue de la République, salle 2');
    await Promise.all([page.waitForURL((u) => u.pathname === '/admin/evenements'), page.click('form#editeur button[type=submit]:not([name])')]);
    const listed = (await page.locator('main').textContent()) || '';
    if (!listed.includes(title) || !listed.includes('En attente de relecture')) {
      problems.push(`the adviser's list does not show the proposal waiting: ${JSON.stringify(listed.slice(0, 400))}`);
    }
    problems.push(...watched);
  } finally {
    await context.close();
  }
  for (const p of ['/admin/evenements', '/admin/evenements/nouveau']) {
    problems.push(...(await checkPage(base, p, { cookies: adviserCookies })).map((x) => `${p}: ${x}`));
  }
  // The team publishes it.
  const slug = 'atelier-ia-vos-devis-en-une-matinee-demonstration';
  const admin = await newContext();
  await admin.addCookies(adminCookies);
  try {
    const page = await admin.newPage();
    await page.goto(new URL(`/admin/ressources/${slug}`, base).href);
    await Promise.all([page.waitForLoadState('load'), page.locator('form:has(input[name=to][value=published]) button[type=submit]').click()]);
    const text = (await page.locator('main').textContent()) || '';
    if (!text.includes('Publiée')) problems.push(`publishing did not say "Publiée": ${JSON.stringify(text.slice(0, 300))}`);
  } finally {
    await admin.close();
  }
  const visitor = await newContext({ javaScriptEnabled: false });
  try {
    const page = await visitor.newPage();
    for (const [where, expected] of [['/agenda', 'Lyon 3e Arrondissement (69)'], [profilePath, 'Prochains événements organisés'],
      ['/recherche?near=Villeurbanne', 'Ateliers près de']]) {
      await page.goto(new URL(where, base).href);
      const text = (await page.locator('main').textContent()) || '';
      if (!text.includes(title) || !text.includes(expected)) problems.push(`${where} does not show the workshop with "${expected}"`);
    }
  } finally {
    await visitor.close();
  }
  problems.push(...(await checkPage(base, `/ressources/${slug}`)).map((x) => `/ressources/${slug}: ${x}`));
  if (!problems.length) log('# event proposal: French errors, proposed, published, on the agenda, the profile and near Villeurbanne');
  return problems;
}

/** RFC 6238 code (SHA-1, 30 s, 6 digits) of a base32 secret at time `t` (s). */
function totpCode(secret, t = Date.now() / 1000) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/[\s=]/g, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(t / 30)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

/**
 * Signs the admin in through the pages (password, then setting up the
 * second factor), checking the set-up page on the way; returns the cookies.
 */
async function signInAsAdmin(base) {
  const problems = [];
  const context = await newContext();
  try {
    const page = await context.newPage();
    problems.push(...watch(page, new URL(base).origin));
    await page.goto(new URL('/connexion', base).href);
    await page.fill('#email', ADMIN_EMAIL);
    await page.fill('#password', ADMIN_PASSWORD);
    await Promise.all([page.waitForLoadState('load'), page.click('button[type=submit]')]);
    const secret = await page.getAttribute('input[name=secret]', 'value');
    if (!secret) throw new Error(`no second-factor set-up after the password; page: ${page.url()}`);
    problems.push(...(await pageConventions(page)).map((p) => `set-up page: ${p}`));
    await page.fill('#code', totpCode(secret));
    await Promise.all([page.waitForURL((u) => u.pathname === '/admin'), page.click('button[type=submit]')]);
    return { cookies: await context.cookies(), problems };
  } finally {
    await context.close();
  }
}

/**
 * Keyboard only, signed in: Tab to the audit log's search field, type and
 * submit with Enter; then Tab to "Prolonger la session" and press Enter,
 * which extends the session without leaving the page.
 */
async function backOfficeKeyboardTest(base, cookies) {
  const problems = [];
  const context = await newContext();
  await context.addCookies(cookies);
  try {
    const page = await context.newPage();
    const watched = watch(page, new URL(base).origin);
    await page.goto(new URL('/admin/journal', base).href);
    const tabTo = async (predicate, what) => {
      for (let i = 1; i <= MAX_TABS; i++) {
        await page.keyboard.press('Tab');
        if (await page.evaluate(predicate)) return i;
      }
      problems.push(`Tab never reached ${what}`);
      return null;
    };
    const reached = await tabTo(() => document.activeElement && document.activeElement.id === 'q', 'the search field #q');
    if (reached) {
      log(`# back office keyboard: #q after ${reached} Tab`);
      await page.keyboard.type('connexion');
      await Promise.all([page.waitForURL((u) => u.searchParams.get('q') === 'connexion'), page.keyboard.press('Enter')]);
      const status = await page.textContent('.status');
      if (!/entrée/.test(status || '')) problems.push(`the search did not list entries: ${status}`);
    }
    const extend = await tabTo(
      () => document.activeElement && document.activeElement.closest('#session-extend') !== null,
      'the "Prolonger la session" button',
    );
    if (extend) {
      const before = page.url();
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => /prolongée/.test(document.getElementById('session-alert').textContent), null, {
        timeout: ACTION_TIMEOUT_MS,
      }).catch(() => problems.push('no "Session prolongée" announcement after Enter'));
      if (page.url() !== before) problems.push(`extending the session left the page (${before} -> ${page.url()})`);
    }
    problems.push(...watched);
  } finally {
    await context.close();
  }
  return problems;
}

/**
 * An organisation applies through the form: a wrong SIRET first (the
 * French errors must pass axe too), then a good one, which lands on the
 * confirmation; the new account signs in and finds its applications page,
 * checked by axe as well.
 */
async function applicationTest(base) {
  const problems = [];
  const context = await newContext({ bypassCSP: true });
  try {
    const page = await context.newPage();
    problems.push(...watch(page, new URL(base).origin));
    await page.goto(new URL('/candidature', base).href);
    const fill = async (siret) => {
      await page.fill('#email', 'atelier.navigateur@exemple.fr');
      await page.fill('#password', 'une phrase de passe pour candidater');
      await page.fill('#password2', 'une phrase de passe pour candidater');
      await page.fill('#name', 'Atelier numérique de démonstration');
      await page.fill('#siret', siret);
      await page.fill('#activity_start', '2020-03-01');
      await page.fill('#website', 'https://atelier.example');
      await page.selectOption('#structure_type', 'independant');
      await page.fill('#commune', '33000');
      await page.selectOption('#area', ['33', '24']);
      await page.check('#sp-cybersecurite');
      await page.fill('#description', 'Nous aidons les artisans à sécuriser leurs postes et leurs sauvegardes.');
    };
    // Like every public form that counts, the application answers the
    // anti-robot challenge (the widget, with JavaScript) and is not sent
    // sooner than the minimum fill time after it was shown.
    const verify = async (shownAt) => {
      await page.locator('altcha-widget').getByLabel('Je ne suis pas un robot').click({ position: { x: 3, y: 3 } });
      const solved = await page
        .waitForFunction(() => !!document.querySelector('form.stack input[name="altcha"]')?.value, null, {
          timeout: ALTCHA_SOLVE_TIMEOUT_MS,
        })
        .then(() => true)
        .catch(() => false);
      if (!solved) problems.push('the application form\'s widget was not solved');
      const wait = shownAt + CONTACT_MIN_FILL_MS - Date.now();
      if (wait > 0) await page.waitForTimeout(wait);
    };
    let shownAt = Date.now();
    await fill('73282932000075');
    await verify(shownAt);
    await Promise.all([page.waitForLoadState('load'), page.click('form.stack button[type=submit]')]);
    shownAt = Date.now();
    const errors = await page.locator('.field-error').allTextContents();
    if (!errors.some((e) => /clé de contrôle/.test(e))) problems.push(`no French SIRET error shown: ${JSON.stringify(errors)}`);
    problems.push(...(await runAxe(page)).map((p) => `form with errors: ${p}`));
    await fill('73282932000074');
    await verify(shownAt);
    // The same confirmation whether the address had an account or not; the
    // applicant then signs in with the password just chosen.
    await Promise.all([page.waitForURL((u) => u.pathname === '/candidature/envoyee'), page.click('form.stack button[type=submit]')]);
    problems.push(...(await pageConventions(page)).map((p) => `/candidature/envoyee: ${p}`));
    problems.push(...(await runAxe(page)).map((p) => `/candidature/envoyee: ${p}`));
    await Promise.all([page.waitForURL((u) => u.pathname === '/connexion'), page.click('main a[href="/connexion"]')]);
    await page.fill('#email', 'atelier.navigateur@exemple.fr');
    await page.fill('#password', 'une phrase de passe pour candidater');
    await Promise.all([page.waitForURL((u) => u.pathname === '/admin'), page.click('button[type=submit]')]);
    await page.goto(new URL('/admin/candidature', base).href);
    const text = await page.textContent('main');
    if (!/En attente d'examen/.test(text)) problems.push('the new application is not shown as waiting for review');
    problems.push(...(await pageConventions(page)).map((p) => `/admin/candidature: ${p}`));
    problems.push(...(await runAxe(page)).map((p) => `/admin/candidature: ${p}`));
  } finally {
    await context.close();
  }
  return problems;
}

/**
 * RGAA 13.1: with the page's clock moved forward, a warning is announced
 * two minutes before the session ends, focus goes to "Prolonger la
 * session", and the end itself is announced.
 */
async function sessionWarningTest(base, cookies) {
  const problems = [];
  const context = await newContext();
  await context.addCookies(cookies);
  try {
    const page = await context.newPage();
    problems.push(...watch(page, new URL(base).origin));
    await page.clock.install();
    await page.goto(new URL('/admin/couverture', base).href);
    const idle = Number(await page.getAttribute('#session-info', 'data-idle-seconds'));
    if (!(idle > 150)) return [`unexpected idle time on the page: ${idle} s`];
    await page.clock.fastForward((idle - 100) * 1000);
    const alert = await page.textContent('#session-alert');
    if (!/va expirer/.test(alert || '')) problems.push(`no warning ~100 s before the end; alert zone: ${JSON.stringify(alert)}`);
    const focused = await page.evaluate(() => !!document.activeElement && !!document.activeElement.closest('#session-extend'));
    if (!focused) problems.push('focus was not moved to "Prolonger la session"');
    if ((await page.getAttribute('#session-alert', 'role')) !== 'alert') problems.push('#session-alert is not role="alert"');
    await page.clock.fastForward(120 * 1000);
    const ended = await page.textContent('#session-alert');
    if (!/a expiré/.test(ended || '')) problems.push(`the end of the session was not announced: ${JSON.stringify(ended)}`);
    log(`# session warning: idle ${idle} s, warned then ended as the clock moved`);
  } finally {
    await context.close();
  }
  return problems;
}

async function main() {
  let base = process.env.OSEZ_BASE_URL;
  if (base) {
    base = base.replace(/\/+$/, '');
    log(`# testing the server at ${base}`);
  } else {
    try {
      base = await startServer();
    } catch (err) {
      record('start the server', false, err.message);
      return;
    }
  }

  if (!existsSync(CHROMIUM)) {
    record('launch chromium', false, `${CHROMIUM} not found: apt-get install -y chromium (or set OSEZ_CHROMIUM)`);
    return;
  }
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: 60_000,
    });
    log(`# chromium ${browser.version()}, playwright-core ${require('playwright-core/package.json').version}, axe-core ${require('axe-core/package.json').version}`);
  } catch (err) {
    record('launch chromium', false, err.message);
    return;
  }

  const pages = [
    { path: '/', screenshotName: 'home.png' },
    { path: '/recherche?q=ia+lyon', screenshotName: 'results.png' },
    { path: '/recherche?q=zzzzqqqq' },
    { path: '/recherche?q=cybers%C3%A9curit%C3%A9&kind=ambassadeur_ia' },
    { path: null, label: 'first adviser profile from /recherche?q=marketing' },
    { path: '/accessibilite' },
    { path: '/mentions-legales' },
    { path: '/connexion' },
    { path: '/connexion/oubli' },
    { path: '/candidature' },
    { path: '/appels' },
    { path: '/contact' },
    { path: '/assistant' },
    { path: '/mes-donnees' },
    { path: '/ressources' },
    { path: '/ressources?q=devis&type=webinaire' },
    { path: '/ressources?q=zzzzqqqq' },
    { path: '/ressources?type=robot', status: 400 },
    { path: '/ressources/rgpd-et-ia-generative' },
    { path: '/ressources/lecture-automatique-des-bons-de-commande' },
    { path: '/ressources/webinaire-premiers-pas-avec-l-ia-generative' },
    { path: '/ressources/webinaire-ia-et-relation-client' },
    { path: '/agenda' },
    { path: '/ressources/webinaire-ia-et-relation-client/inscription' },
    { path: '/ressources/webinaire-ia-et-relation-client/inscription/annuler?jeton=inconnu', status: 404 },
    { path: null, adviserContact: true, label: 'contact form of that adviser (its "Contacter ce conseiller" link)' },
    { path: '/consultations' },
    { path: '/consultations/ia-dans-les-tpe' },
    { path: '/consultations/ia-dans-les-tpe/proposer' },
    { path: '/consultations/ia-dans-les-tpe/mes-propositions' },
    { path: '/consultations/ia-dans-les-tpe/confirmer' },
    { path: '/consultations/encadrer-l-ia', screenshotName: 'consultation-closed.png' },
    { path: '/consultations/encadrer-l-ia/resultats', screenshotName: 'consultation-results.png' },
    { path: '/nexiste-pas', status: 404 },
  ];
  for (const p of pages) {
    const status = p.status || 200;
    const label = p.label || p.path;
    await test(`page ${label}: status ${status}, lang/title/h1, axe ${AXE_TAGS.join(',')}, no console error, no third party`, async () => {
      let urlPath = p.path;
      if (!urlPath && p.adviserContact) {
        urlPath = await adviserContactPath(base);
        log(`# adviser contact form: ${urlPath}`);
      } else if (!urlPath) {
        urlPath = await firstResultHref(base, 'marketing');
        log(`# first adviser profile: ${urlPath}`);
      }
      return checkPage(base, urlPath, { status, screenshotName: p.screenshotName });
    });
  }

  await test('consultation without JavaScript: vote "D\'accord" by keyboard, the vote is recorded, a qualification follows, axe on each step', () =>
    consultationVoteTest(base),
  );
  await test('keyboard only on /recherche?q=marketing: Tab reaches #q, then .facets, then a.result-link; Enter opens the profile; focus visible', () =>
    keyboardTest(base),
  );
  await test('without JavaScript: search "cybersecurite bordeaux" from / lists results', () => noJavaScriptTest(base));
  await test('with JavaScript: results appear on / while typing "cybers", count announced', () => liveTypingTest(base));
  await test('contact the team with JavaScript: the ALTCHA widget solves its challenge, the message is sent, no CSP violation', () =>
    contactWithJavaScriptTest(base),
  );
  await test('contact an adviser without JavaScript: the question in words, the message is sent via the team', () =>
    contactAdviserWithoutJavaScriptTest(base),
  );
  await test('contact form errors: 422, role="alert" summary, French field errors, aria-invalid, axe', () =>
    contactErrorsTest(base),
  );
  await test('assistant with JavaScript: a need in a sentence gets a reply in the log (AI label, adviser links, "Pourquoi :") without leaving the page; "Parler à une personne" prepares the contact form; no CSP violation', () =>
    assistantChatTest(base),
  );
  await test(`assistant: axe ${AXE_TAGS.join(',')} after a reply with recommendations (with JavaScript), and on the contact form it prepares`, () =>
    assistantAxeTest(base),
  );
  await test('assistant with JavaScript: a vague message gets quick replies; clicking one gets a new reply in the log', () =>
    assistantQuickRepliesTest(base),
  );
  await test('assistant without JavaScript: the form posts the page, back at #fin with the conversation; a quick reply; "Effacer la conversation"', () =>
    assistantWithoutJavaScriptTest(base),
  );
  await test('assistant, keyboard only: Tab reaches "Votre message", then Envoyer (Enter sends), then the quick replies (Enter answers); focus visible', () =>
    assistantKeyboardTest(base),
  );

  let cookies = null;
  await test('back office: an admin signs in with a password and sets up the second factor', async () => {
    createAdmin();
    const signed = await signInAsAdmin(base);
    cookies = signed.cookies;
    return signed.problems;
  });
  const backOffice = [
    '/admin',
    '/admin/messages',
    '/admin/suivi',
    '/admin/candidatures',
    '/admin/appels',
    '/admin/moderation',
    '/admin/ressources',
    '/admin/ressources/webinaire-premiers-pas-avec-l-ia-generative',
    '/admin/ressources/nouvelle',
    '/admin/ressources/webinaire-premiers-pas-avec-l-ia-generative/modifier',
    '/admin/recherches',
    '/admin/couverture',
    '/admin/journal',
    '/admin/comptes',
  ];
  for (const p of backOffice) {
    await test(`back office ${p}: status 200, lang/title/h1, axe ${AXE_TAGS.join(',')}, no console error, no third party`, async () => {
      if (!cookies) return ['not signed in (see the sign-in test above)'];
      return checkPage(base, p, { cookies, screenshotName: p === '/admin/couverture' ? 'coverage.png' : undefined });
    });
  }
  await test('resource editor with JavaScript: the preview follows the Markdown typed, the webinar part shows only for a webinar, no CSP violation', async () => {
    if (!cookies) return ['not signed in (see the sign-in test above)'];
    return editorPreviewTest(base, cookies);
  });
  await test('register to the coming webinar without JavaScript: the question in words, then the confirmation; the same address again is told, in French', () =>
    registrationTest(base),
  );
  await test('a replay made by ffmpeg: uploaded with its captions, published, played in the page; range requests; #t-5 and a transcript line seek the video; axe', async () => {
    if (!cookies) return ['not signed in (see the sign-in test above)'];
    return replayTest(base, cookies);
  });
  await test('an adviser proposes a workshop without JavaScript: French errors, then the proposal; the team publishes it; agenda, profile and search near Villeurbanne show it; axe', async () => {
    if (!cookies) return ['not signed in (see the sign-in test above)'];
    return eventProposalTest(base, cookies);
  });
  await test('an organisation applies: French errors, then its account and applications page, all through axe', () =>
    applicationTest(base),
  );
  await test('back office, RGAA 13.1: a warning two minutes before the session ends, focus on "Prolonger la session"', async () => {
    if (!cookies) return ['not signed in (see the sign-in test above)'];
    return sessionWarningTest(base, cookies);
  });
  await test('back office, keyboard only: search the audit log, then extend the session without leaving the page', async () => {
    if (!cookies) return ['not signed in (see the sign-in test above)'];
    return backOfficeKeyboardTest(base, cookies);
  });
}

const watchdog = setTimeout(async () => {
  record('whole run', false, `the run did not finish within ${RUN_TIMEOUT_MS / 1000} s; stopping`);
  stopping = true;
  await withTimeout(cleanup(), 20_000, 'cleanup').catch(() => {});
  summary();
  process.exit(1);
}, RUN_TIMEOUT_MS);

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, async () => {
    log(`# ${sig}: stopping`);
    await withTimeout(cleanup(), 20_000, 'cleanup').catch(() => {});
    process.exit(130);
  });
}

try {
  await main();
} catch (err) {
  if (!stopping) record('run', false, (err && err.stack) || String(err));
} finally {
  await cleanup();
  clearTimeout(watchdog);
}
const failed = summary();
process.exit(failed ? 1 : 0);

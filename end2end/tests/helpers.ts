import { execFileSync } from 'child_process';
import * as path from 'path';
import { expect, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';

const dataDir = path.join(__dirname, '..', '.data');

/** Inserts requests straight into the server's SQLite file (Python's sqlite3). */
export function insertRequests(state: string, n: number): void {
  const script = [
    'import sqlite3, sys, time',
    'db = sqlite3.connect(sys.argv[1], timeout=10)',
    'now = int(time.time() * 1000)',
    'db.executemany("INSERT INTO requests (state, created_at, updated_at) VALUES (?, ?, ?)", [(sys.argv[2], now, now)] * int(sys.argv[3]))',
    'db.commit()',
  ].join('\n');
  execFileSync('python3', ['-c', script, path.join(dataDir, 'guichet.db'), state, String(n)]);
}

/** Collects console errors and failed page loads; call `check()` at the end. */
export function watchConsole(page: Page): { check: () => void } {
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  return {
    check: () => expect(problems, problems.join('\n')).toEqual([]),
  };
}

/** Runs axe-core on the page and fails on any violation. */
export async function expectNoAxeViolations(page: Page): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const summary = results.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
  expect(summary, summary.join('\n')).toEqual([]);
}

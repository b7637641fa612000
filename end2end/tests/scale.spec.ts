import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { freePort, signIn } from './support';

// A replica that fits at any scale: a district of the measured size (the demo plus 1,226
// generated posts, 8,426 risk points and 25,278 measures, through the importer), every sheet
// awaiting the commission at once, on a server of its own so the other tests' district stays
// as it is. The commission reviewer's phone keeps a bounded inbox, not the whole district.

const root = path.resolve(process.cwd(), '..');
const bin = path.resolve(root, process.env.LIANFANG_E2E_BIN ?? 'target/release/lianfang');


test("on a generated district the commission reviewer's replica stays under 2 MB", async ({ browser }) => {
  test.setTimeout(240_000);
  const dir = mkdtempSync(path.join(tmpdir(), 'lianfang-scale-'));
  const db = path.join(dir, 'district.db');
  execFileSync(bin, ['--database', db, 'seed-demo', '--generated-posts', '1226'], { cwd: root, stdio: 'ignore' });
  execFileSync('sqlite3', [db, "UPDATE risk_sheets SET stage = 'commission_audit'"]);
  const all = Number(execFileSync('sqlite3', [db, 'SELECT COUNT(*) FROM current_sheets']).toString());
  expect(all).toBeGreaterThan(1_226);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = spawn(bin, ['serve'], {
    cwd: root,
    stdio: 'ignore',
    env: { ...process.env, LIANFANG_DATABASE: db, LIANFANG_ADDR: `127.0.0.1:${port}`, LIANFANG_LOG: 'warn' },
  });
  try {
    await expect
      .poll(async () => (await fetch(`${base}/api/health`).catch(() => null))?.status ?? 0, { timeout: 30_000 })
      .toBe(200);
    const context = await browser.newContext({
      baseURL: base,
      locale: 'zh-CN',
      viewport: { width: 360, height: 740 },
      isMobile: true,
      hasTouch: true,
    });
    const page = await context.newPage();
    await signIn(page, 'shenhe', '/check');
    await expect(page.getByTestId('sync-status')).toHaveText('已全部同步', { timeout: 120_000 });
    const stored = await page.evaluate(() => {
      const text = localStorage.getItem('lianfang.user.shenhe.replica') ?? '{}';
      const replica = JSON.parse(text);
      let total = 0;
      for (const [k, v] of Object.entries(localStorage)) total += (k.length + v.length) * 2;
      return { bytes: text.length * 2, total, sheets: replica.sheets?.length ?? 0, points: replica.points?.length ?? 0 };
    });
    console.log(
      `replica: commission reviewer, ${all} sheets awaiting: ${stored.sheets} sheets, ${stored.points} points, ` +
        `${Math.round(stored.bytes / 1024)} KB (local storage in all: ${Math.round(stored.total / 1024)} KB)`,
    );
    // The first sheets of the inbox, to read and decide offline; the rest is fetched online.
    expect(stored.sheets).toBeGreaterThan(100);
    expect(stored.sheets).toBeLessThan(all);
    expect(stored.total).toBeLessThan(2 * 1024 * 1024);
    await expect(page.getByRole('heading', { name: '本机存有的其他排查表' })).toBeVisible();
    await expect(page.getByText(`待您审核的 ${stored.sheets} 张`)).toBeVisible();
    await context.close();
  } finally {
    server.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

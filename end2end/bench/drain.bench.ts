import { expect, test } from '@playwright/test';

// Benchmark, not a test: how long one browser takes to drain 10,000 queued operations through
// POST /api/sync. Run by scripts/bench.sh, which prints the figure; nothing passes or fails on
// time. The queue is written straight into local storage as the app writes it (small creates,
// so that 10,000 fit in the browser's ~5 MB), then the page is opened online.
const OPS = 10_000;

test('drain 10,000 queued operations', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('/login?next=/check');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await page.getByLabel('用户名').fill('zhangwei');
  await page.getByLabel('密码').fill('lianfang2026');
  await page.getByRole('button', { name: '登录' }).click();
  await expect(page.getByTestId('sync-status')).toHaveText('已全部同步');

  const written = await page.evaluate((n) => {
    const replica = JSON.parse(localStorage.getItem('lianfang.user.zhangwei.replica')!);
    const post = replica.sheets.find((s: { holder: boolean }) => s.holder).post_id;
    const uuid = () => crypto.randomUUID();
    const ops = [];
    for (let i = 0; i < n; i++) {
      ops.push({
        id: uuid(), seq: i + 1, type: 'upsert_risk_point', post_id: post, risk_point_id: uuid(), base_version: null,
        risk_point: { description: `基准风险点${i}`, category: 'duty', power_type: '财务权', likelihood: 2, impact: 2, frequency: 2,
                      measures: [{ kind: 'education', text: '教育' }] },
      });
    }
    const outbox = JSON.parse(localStorage.getItem('lianfang.user.zhangwei.outbox') ?? 'null') ?? {};
    const value = JSON.stringify({ client_id: outbox.client_id ?? uuid(), next_seq: n + 1, ops });
    localStorage.setItem('lianfang.user.zhangwei.outbox', value);
    return value.length;
  }, OPS);

  const started = Date.now();
  await page.reload();
  await expect(page.getByTestId('queued')).toHaveText('0 条', { timeout: 240_000 });
  await expect(page.getByTestId('sync-status')).toHaveText('已全部同步');
  const seconds = (Date.now() - started) / 1000;
  console.log(`drain: ${OPS} queued operations (${(written / 1e6).toFixed(2)} M characters of outbox) drained by one browser in ${seconds.toFixed(2)} s (page load included)`);
});

import { execFileSync } from 'node:child_process';
import { expect, test, type Page } from '@playwright/test';

const PASSWORD = 'lianfang2026';
const db = process.env.LIANFANG_E2E_DB ?? '/tmp/lianfang-e2e.db';

/** Reads the server's database with the sqlite3 tool: what the server really holds. */
function sql(query: string): string {
  return execFileSync('sqlite3', [db, query]).toString().trim();
}

async function hydrated(page: Page) {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

async function signIn(page: Page, username: string) {
  await page.goto('/login?next=/check');
  await hydrated(page);
  await page.getByLabel('用户名').fill(username);
  await page.getByLabel('密码').fill(PASSWORD);
  await page.getByRole('button', { name: '登录' }).click();
  await expect(page).toHaveURL(/\/check$/);
  await hydrated(page);
}

async function addRiskPoint(page: Page, n: number) {
  await page.getByRole('button', { name: '新增风险点' }).click();
  await page.getByLabel('风险点描述').fill(`离线新增风险点 ${n}：审批材料把关不严`);
  await page.getByLabel('权力类型').fill('行政审批权');
  await page.getByLabel('可能性').selectOption('4');
  await page.getByLabel('危害程度').selectOption(n === 1 ? '4' : '2');
  // The level follows the ratings as they change, with the sheet's matrix.
  await expect(page.getByTestId('live-level')).toContainText(n === 1 ? '一级（评分 16）' : '二级（评分 8）');
  await page.getByLabel('措施内容 1').fill('审批实行双人复核');
  await page.getByRole('button', { name: '添加一条措施' }).click();
  await page.getByLabel('措施类型 2').selectOption('supervision');
  await page.getByLabel('措施内容 2').fill('每月抽查审批台账');
  await page.getByLabel('完成时限 2（选填）').fill('2026-12-31');
  await page.getByRole('button', { name: '保存' }).click();
  await expect(page.getByText(`离线新增风险点 ${n}：审批材料把关不严`)).toBeVisible();
}

test('offline self-check: entries survive reloads, sync exactly once, and stay with their user', async ({ page, context }) => {
  page.on('dialog', (d) => d.accept());
  const post = sql("SELECT h.post_id FROM post_holders h JOIN users u ON u.id = h.user_id WHERE u.username = 'zhangwei'");
  const pointsOf = (like: string) =>
    sql(`SELECT COUNT(*) FROM risk_points p JOIN risk_sheets s ON s.id = p.sheet_id WHERE s.post_id = ${post} AND p.description LIKE '${like}'`);

  // Online once: sign in, let the service worker take the page, and pull the sheet.
  await signIn(page, 'zhangwei');
  await expect(page.locator('body')).toHaveAttribute('data-offline-ready', 'true');
  await expect(page.getByTestId('sync-status')).toHaveText('已全部同步');
  await expect(page.getByRole('heading', { name: '局长' })).toBeVisible();

  // No network: the page still opens, signed in, with its data.
  await context.setOffline(true);
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId('sync-status')).toContainText('离线');
  await expect(page.getByRole('heading', { name: '局长' })).toBeVisible();

  // Three risk points with measures, each in the queue before it shows as saved.
  for (const n of [1, 2, 3]) await addRiskPoint(page, n);
  await expect(page.getByTestId('queued')).toHaveText('3 条');
  await expect(page.locator('.badge-pending')).toHaveCount(3);

  // Close the page and open it again, still offline.
  await page.close();
  const again = await context.newPage();
  again.on('dialog', (d) => d.accept());
  await again.goto('/check');
  await hydrated(again);
  await expect(again.getByTestId('queued')).toHaveText('3 条');
  for (const n of [1, 2, 3]) await expect(again.getByText(`离线新增风险点 ${n}：审批材料把关不严`)).toBeVisible();
  expect(pointsOf('离线新增风险点%')).toBe('0');

  // A shared tablet: 张伟 signs out offline; his queue stays on the device.
  await again.getByRole('button', { name: '退出登录' }).click();
  await expect(again).toHaveURL(/\/login/);

  // Back online, 王芳 signs in on the same browser: she neither sees nor sends his queue.
  await context.setOffline(false);
  await signIn(again, 'wangfang');
  await expect(again.getByTestId('sync-status')).toHaveText('已全部同步');
  await expect(again.getByRole('heading', { name: '工程建设科科长' })).toBeVisible();
  await expect(again.getByTestId('queued')).toHaveText('0 条');
  await expect(again.getByText('离线新增风险点 1：审批材料把关不严')).toHaveCount(0);
  expect(pointsOf('离线新增风险点%')).toBe('0');
  await again.getByRole('button', { name: '退出登录' }).click();
  await expect(again).toHaveURL(/\/login/);

  // 张伟 signs in again: his queue drains, and the server holds each point exactly once.
  await signIn(again, 'zhangwei');
  await expect(again.getByTestId('queued')).toHaveText('0 条');
  await expect(again.getByTestId('sync-status')).toHaveText('已全部同步');
  await expect(again.locator('.badge-pending')).toHaveCount(0);
  expect(pointsOf('离线新增风险点%')).toBe('3');
  expect(pointsOf('%')).toBe('4');
  expect(sql(`SELECT COUNT(*) FROM measures m JOIN risk_points p ON p.id = m.risk_point_id WHERE p.description LIKE '离线新增风险点%'`)).toBe('6');
});

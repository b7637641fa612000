import { expect, test, type Page } from '@playwright/test';
import { signIn, sql } from './support';

// 风险库: the commission (鲁审核) opens the district catalogue from the home page. The grouping
// proposes the demo's three procurement points (medicines, school supplies, the canteen) as one
// risk; she unticks the canteen's (split off: it stays proposed), edits the offered wording, adds
// the unified measures and confirms. The entry lists its two points and the canteen's point is
// still proposed; she then adds it to the entry, edits the entry's wording, and takes the point
// out again after confirming. On a 360 px phone nothing scrolls sideways.

async function noSidewaysScroll(page: Page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
}

// The browser tests share one database: each project starts with an empty catalogue.
test.beforeEach(() => {
  sql('DELETE FROM catalogue_links; DELETE FROM catalogue_entries;');
});
test.afterAll(() => {
  sql('DELETE FROM catalogue_links; DELETE FROM catalogue_entries;');
});

test('the commission confirms a proposed group, edits its wording and splits a point off', async ({ page }) => {
  page.on('dialog', (d) => d.accept());
  await signIn(page, 'shenhe', '/');
  await page.getByRole('link', { name: '区级风险库' }).click();
  await expect(page).toHaveURL(/\/catalogue$/);
  await expect(page.getByRole('heading', { level: 1, name: '区级风险库' })).toBeVisible();

  const proposal = page.getByTestId('proposal').filter({ hasText: '物资采购类' });
  await expect(proposal).toHaveCount(1);
  await expect(proposal.getByRole('heading')).toContainText('3 个风险点');
  await expect(proposal.getByRole('heading')).toContainText('平均相似度');
  await noSidewaysScroll(page);

  // The canteen's point is not kept: it is split off.
  await proposal.getByRole('checkbox', { name: /机关食堂管理员/ }).uncheck();
  const wording = proposal.getByLabel('统一表述');
  await expect(wording).not.toHaveValue('');
  await wording.fill('物资采购中指定供应商、收受回扣');
  await proposal.getByLabel('统一防控措施').fill('制度防范：三家以上比价，集体决定供应商；监督预警：纪检组季度抽查采购记录');
  await proposal.getByRole('button', { name: '确认归并' }).click();

  await expect(page.getByRole('status').filter({ hasText: '已将 2 个风险点归入风险库条目' })).toBeVisible();
  const entry = page.getByTestId('entry').filter({ hasText: '物资采购中指定供应商、收受回扣' });
  await expect(entry).toHaveCount(1);
  await expect(entry).toContainText('2 个风险点');
  await expect(entry).toContainText('制度防范：三家以上比价，集体决定供应商；监督预警：纪检组季度抽查采购记录');
  await expect(entry).toContainText('某中学 · 总务主任');
  await expect(page.getByTestId('catalogue-counts')).toContainText('已归入风险库 2 个');
  expect(sql('SELECT COUNT(*) FROM catalogue_links')).toBe('2');

  // The split-off point is proposed again, now for the entry.
  const again = page.getByTestId('proposal').filter({ hasText: '机关食堂管理员' });
  await expect(again).toContainText('建议并入已有条目“物资采购中指定供应商、收受回扣”');
  await again.getByRole('button', { name: '确认归并' }).click();
  await expect(page.getByRole('status').filter({ hasText: '已将 1 个风险点归入风险库条目' })).toBeVisible();
  await expect(entry).toContainText('3 个风险点');

  // The wording is edited.
  await entry.getByText('修改表述与措施').click();
  await entry.getByLabel('统一表述').fill('物资采购中收受供应商回扣');
  await entry.getByRole('button', { name: '保存条目' }).click();
  await expect(page.getByRole('status').filter({ hasText: '已保存风险库条目的表述和措施' })).toBeVisible();
  const edited = page.getByTestId('entry').filter({ hasText: '物资采购中收受供应商回扣' });
  await expect(edited.getByRole('heading')).toHaveText('物资采购中收受供应商回扣');
  expect(sql("SELECT wording FROM catalogue_entries")).toBe('物资采购中收受供应商回扣');

  // The canteen's point is taken out again (after the confirmation dialog).
  await edited.getByRole('listitem').filter({ hasText: '机关食堂管理员' }).getByRole('button', { name: '移出' }).click();
  await expect(page.getByRole('status').filter({ hasText: '已将风险点移出条目' })).toBeVisible();
  await expect(edited).toContainText('2 个风险点');
  await expect(page.getByTestId('proposal').filter({ hasText: '机关食堂管理员' })).toHaveCount(1);
  expect(sql("SELECT COUNT(*) FROM audit_log WHERE kind LIKE 'catalogue_%'")).not.toBe('0');
  await noSidewaysScroll(page);
});

test('the catalogue is the commission\'s alone', async ({ page }) => {
  await signIn(page, 'lianluo', '/');
  await expect(page.getByRole('link', { name: '区级风险库' })).toHaveCount(0);
  await page.goto('/catalogue');
  await expect(page.getByRole('alert')).toBeVisible();
});

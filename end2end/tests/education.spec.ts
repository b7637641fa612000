import { expect, test, type Page } from '@playwright/test';
import { person, signIn, sql } from './support';

// 廉政教育: 区交通局's liaison (严联络) records a talk with 陈静, whose post is a 一级 key post: a
// talk dated tomorrow is refused at its field; today's is saved and her row shows the talk held
// this period. A 廉政党课 with one person ticked, a pasted list first refused for a stray name,
// then a sign-in sheet (CSV) whose 姓名 column fills the list. 陈静's page lists the talk and the
// session, for her too; the lecture, entered by mistake, is voided with a reason. The commission
// sets the talks a year by grade on the settings page.

async function noSidewaysScroll(page: Page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
}

// The browser tests share one database: 驾驶员 goes back to the marks it had.
const post = () => sql("SELECT p.id FROM posts p JOIN org_units u ON u.id = p.unit_id WHERE u.name = '区交通局' AND p.title = '驾驶员'");
let restore = '';
test.beforeAll(() => {
  const id = post();
  const marks = sql(`SELECT key_post || '|' || ifnull(supervision_grade, '') FROM posts WHERE id = ${id}`).split('|');
  restore = `UPDATE posts SET key_post = ${marks[0]}, supervision_grade = ${marks[1] ? `'${marks[1]}'` : 'NULL'} WHERE id = ${id}`;
  sql(`UPDATE posts SET key_post = 1, supervision_grade = 'first' WHERE id = ${id}`);
});
test.afterAll(() => {
  if (restore) sql(restore);
});

test('the liaison records a talk and a session, and the person page lists them', async ({ page, browser }, info) => {
  const base = info.project.use.baseURL as string;
  const today = sql("SELECT date('now', '+8 hours')");
  const tomorrow = sql("SELECT date('now', '+8 hours', '+1 day')");
  // Each project starts with 陈静 not yet talked to.
  sql("DELETE FROM talks WHERE subject_id = (SELECT id FROM users WHERE username = 'chenjing')");
  const topic = `岗位廉洁提醒谈话（${info.project.name}）`;
  const lecture = `以案为鉴廉政党课（${info.project.name}）`;

  await signIn(page, 'lianluo', '/');
  await page.getByRole('link', { name: '廉政教育' }).click();
  await expect(page.getByRole('heading', { level: 1, name: '廉政教育' })).toBeVisible();
  const row = page.getByTestId('talk-owed').filter({ hasText: '陈静' });
  await expect(row).toContainText('一级 · 每年 4 次');
  await expect(row).toContainText('尚未谈话');
  await noSidewaysScroll(page);

  const talk = page.getByRole('region', { name: '记录廉政谈话' });
  await talk.getByLabel(/谈话对象/).selectOption({ label: '陈静' });
  await talk.getByLabel(/谈话人/).fill('局党组书记 王某');
  await talk.getByLabel(/谈话日期/).fill(tomorrow);
  await talk.getByLabel(/谈话主题/).fill(topic);
  await talk.getByRole('button', { name: '保存谈话记录' }).click();
  await expect(talk.getByRole('alert')).toContainText('不能晚于今天');
  await expect(talk.getByLabel(/谈话日期/)).toHaveAttribute('aria-invalid', 'true');
  expect(sql("SELECT COUNT(*) FROM talks WHERE subject_id = (SELECT id FROM users WHERE username = 'chenjing')")).toBe('0');

  await talk.getByLabel(/谈话日期/).fill(today);
  await talk.getByRole('button', { name: '保存谈话记录' }).click();
  await expect(page.getByRole('status').filter({ hasText: '已记录与陈静的廉政谈话' })).toBeVisible();
  await expect(row).toContainText('已谈话');
  await expect(page.getByTestId('talk').filter({ hasText: topic })).toContainText('局党组书记 王某');

  const session = page.getByRole('region', { name: '记录集中教育' });
  await session.getByLabel('教育形式').selectOption({ label: '廉政党课' });
  await session.getByLabel(/主题/).fill(lecture);
  await session.getByRole('checkbox', { name: '陈静' }).check();
  await session.getByLabel(/粘贴参加人员名单/).fill('钱科长、无名氏');
  await session.getByRole('button', { name: '保存教育记录' }).click();
  await expect(session.getByRole('alert')).toContainText('第 2 项“无名氏”不是该单位的人员');
  // A sign-in sheet fills the list, to be checked before saving.
  await session.getByLabel(/导入签到表/).setInputFiles({
    name: '签到表.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from('序号,姓名,签到时间\n1,钱科长,9:00\n2,孔分管,9:02\n'),
  });
  await expect(session.getByText('已从“签到表.csv”的姓名读取 2 个姓名')).toBeVisible();
  await expect(session.getByLabel(/粘贴参加人员名单/)).toHaveValue('钱科长\n孔分管');
  await session.getByRole('button', { name: '保存教育记录' }).click();
  await expect(page.getByRole('status').filter({ hasText: '参加 3 人' })).toBeVisible();
  await expect(page.getByTestId('session').filter({ hasText: lecture })).toContainText('3 人');

  // Her page, from the talk's row.
  await page.getByTestId('talk').filter({ hasText: topic }).getByRole('link', { name: '陈静' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('陈静 · 人员廉政档案');
  await expect(page.getByTestId('talk').filter({ hasText: topic })).toBeVisible();
  await expect(page.getByTestId('session').filter({ hasText: lecture })).toContainText('廉政党课');
  await noSidewaysScroll(page);

  // She reads her own, from her home page.
  const holder = await person(browser, base, 'chenjing', '/');
  await holder.getByRole('link', { name: '我的廉政档案' }).click();
  await expect(holder.getByRole('heading', { level: 1 })).toHaveText('陈静 · 人员廉政档案');
  await expect(holder.getByTestId('talk').filter({ hasText: topic })).toBeVisible();
  await expect(holder.getByTestId('session').filter({ hasText: lecture })).toBeVisible();
  await holder.context().close();

  // The lecture was entered by mistake: voided with a reason, it leaves the list.
  await page.goto('/education');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  page.on('dialog', (d) => d.accept());
  const voided = page.getByTestId('session').filter({ hasText: lecture });
  await voided.getByRole('button', { name: '作废' }).click();
  await voided.getByRole('button', { name: '确认作废' }).click();
  await expect(voided.getByRole('alert')).toContainText('作废原因不能为空');
  await voided.getByLabel('作废原因').fill('重复录入');
  await voided.getByRole('button', { name: '确认作废' }).click();
  await expect(page.getByRole('status').filter({ hasText: `已作废：${today} ${lecture}` })).toBeVisible();
  await expect(page.getByTestId('session').filter({ hasText: lecture })).toHaveCount(0);
  expect(sql(`SELECT void_reason FROM education_sessions WHERE topic = '${lecture}'`)).toBe('重复录入');
});

test('the commission sets the talks a year by grade', async ({ page }, info) => {
  test.skip(info.project.name !== 'desktop', 'one settings change is enough');
  await signIn(page, 'shenhe', '/settings');
  const card = page.getByRole('region', { name: '廉政谈话频次' });
  page.on('dialog', (d) => d.accept());
  await card.getByLabel('一级监督的重点岗位').selectOption({ label: '每月 1 次（每年 12 次）' });
  await card.getByRole('button', { name: '保存谈话频次' }).click();
  await expect(page.getByRole('status').filter({ hasText: '廉政谈话频次已保存' })).toBeVisible();
  expect(sql('SELECT talks_first FROM district_settings')).toBe('12');
  // A higher grade may not be talked to less often than a lower one: refused, nothing changed.
  await card.getByLabel('一级监督的重点岗位').selectOption({ label: '每年 1 次' });
  await card.getByLabel('二级监督的重点岗位').selectOption({ label: '每季度 1 次（每年 4 次）' });
  await card.getByRole('button', { name: '保存谈话频次' }).click();
  await expect(card.getByRole('alert')).toContainText('一级（每年 1 次）不能少于二级');
  expect(sql('SELECT talks_first FROM district_settings')).toBe('12');
  sql('UPDATE district_settings SET talks_first = 4, talks_second = 2, talks_third = 1');
});

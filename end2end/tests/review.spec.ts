import { expect, test, type Page } from '@playwright/test';
import { hydrated, pdfTitle, person, sql } from './support';

// The chain in the browser: people in their own browsers take one sheet from self-check to its
// public notice; the public page works with JavaScript off; an objection holds the notice. Then
// the unit's handbook is printed to PDF by Chromium. Desktop only: it walks one shared sheet.

async function stageIs(page: Page, label: string) {
  await expect(page.getByText(`当前环节：${label}`)).toBeVisible();
}

test('a sheet goes from self-check to its public notice; the public page needs no JavaScript; an objection holds it', async ({ browser }, info) => {
  test.skip(info.project.name !== 'desktop', 'walks one shared sheet; the phone project covers the other pages');
  const base = info.project.use.baseURL as string;
  const post = sql("SELECT id FROM posts WHERE title = '分管副局长'");
  const unit = sql("SELECT unit_id FROM posts WHERE title = '分管副局长'");
  const sheetPath = `/posts/${post}`;

  // The holder submits their self-check.
  const holder = await person(browser, base, 'hanxue', sheetPath);
  await stageIs(holder, '自查');
  await holder.getByRole('button', { name: '提交审核' }).click();
  await stageIs(holder, '互评');

  // A fellow member of the leadership team reviews it.
  const peer = await person(browser, base, 'zhangwei', sheetPath);
  await peer.getByLabel('互评意见').fill('风险点覆盖分管领域的主要权力，建议补充工程款拨付环节');
  await peer.getByRole('button', { name: '提交互评意见' }).click();
  await expect(peer.getByText('建议补充工程款拨付环节')).toBeVisible();

  // The holder closes peer review; a leadership post skips the section head.
  await holder.reload();
  await hydrated(holder);
  await expect(holder.getByText('已收到互评意见 1 份')).toBeVisible();
  await holder.getByRole('button', { name: '结束互评' }).click();
  await stageIs(holder, '分管领导确定');

  // A stale decision is refused with the reason shown: the leader's page was opened before an
  // edit that bumped the sheet's version.
  const leader = await person(browser, base, 'fenguan', sheetPath);
  sql(`UPDATE risk_sheets SET version = version + 1 WHERE post_id = ${post}`);
  await leader.getByRole('button', { name: '确定通过' }).click();
  await expect(leader.getByRole('alert')).toContainText('请刷新后重新审核');
  await leader.reload();
  await hydrated(leader);
  await leader.getByRole('button', { name: '确定通过' }).click();
  await stageIs(leader, '集体审定');

  // The liaison sees it waiting, and records the meeting that approved it.
  const liaison = await person(browser, base, 'lianluo', '/');
  await expect(liaison.getByRole('heading', { name: /待我审核（[1-9]\d*）/ })).toBeVisible();
  await liaison.goto(`/units/${unit}/meeting`);
  await hydrated(liaison);
  await expect(liaison.getByLabel(/分管副局长/)).toBeChecked();
  await liaison.getByLabel('会议日期').fill('2026-11-25');
  await liaison.getByLabel('参会人员').fill('局长、分管副局长、纪检组长及各科室负责人');
  await liaison.getByLabel('会议纪要编号').fill('党组会纪要〔2026〕15号');
  await liaison.getByRole('button', { name: '登记并提交公示' }).click();
  await expect.poll(() => sql(`SELECT stage FROM risk_sheets WHERE post_id = ${post}`)).toBe('public_notice');

  // Anyone reads the notice without JavaScript, and objects through a plain form.
  const publicContext = await browser.newContext({ baseURL: base, javaScriptEnabled: false, locale: 'zh-CN' });
  const visitor = await publicContext.newPage();
  await visitor.goto(`/public/units/${unit}`);
  await expect(visitor.getByRole('heading', { name: '区交通局 岗位廉政风险点及防控措施公示' })).toBeVisible();
  const card = visitor.locator(`#post-${post}`);
  await expect(card.getByRole('heading', { name: '分管副局长' })).toBeVisible();
  const firstRisk = sql(`SELECT description FROM risk_points p JOIN risk_sheets s ON s.id = p.sheet_id WHERE s.post_id = ${post} ORDER BY p.position LIMIT 1`);
  await expect(card.getByText(firstRisk)).toBeVisible();
  await expect(card.getByTestId('notice-status')).toContainText('公示中');
  await card.getByLabel('异议内容（5 至 1000 字）').fill('分管的工程项目资金拨付环节未列入风险点');
  await card.getByRole('button', { name: '提交异议' }).click();
  await expect(visitor.getByText('您的异议已收到')).toBeVisible();
  await expect(visitor.locator(`#post-${post}`).getByTestId('notice-status')).toHaveText('公示暂缓：1 条异议正在处理');
  expect(sql(`SELECT COUNT(*) FROM objections o JOIN risk_sheets s ON s.id = o.sheet_id WHERE s.post_id = ${post} AND o.status = 'open'`)).toBe('1');

  // The objection holds the sheet: the liaison cannot close the notice until it is answered.
  sql(`UPDATE risk_sheets SET notice_until = 0 WHERE post_id = ${post}`);
  await liaison.goto(sheetPath);
  await hydrated(liaison);
  await expect(liaison.getByText('暂不能办理：尚有 1 条异议未处理，公示不能结束')).toBeVisible();
  await expect(liaison.getByRole('button', { name: '公示期满，报区纪委审核' })).toHaveCount(0);
  await expect(liaison.getByRole('heading', { name: '公示异议（待处理 1 条）' })).toBeVisible();
  expect(sql(`SELECT stage FROM risk_sheets WHERE post_id = ${post}`)).toBe('public_notice');

  // Once answered, the notice may close.
  await liaison.getByLabel('核实结论').selectOption({ label: '异议成立' });
  await liaison.getByLabel('处理意见').fill('工程款拨付已列入第 2 个风险点，已电话答复');
  await liaison.getByRole('button', { name: '答复并办结' }).click();
  await expect(liaison.getByRole('button', { name: '公示期满，报区纪委审核' })).toBeVisible();
  await expect(liaison.getByText('异议成立。处理意见：工程款拨付已列入第 2 个风险点')).toBeVisible();
  await liaison.getByRole('button', { name: '公示期满，报区纪委审核' }).click();
  await stageIs(liaison, '区纪委审核');
  await expect(liaison.getByText('审核记录')).toBeVisible();
});

test('a liaison imports an Excel/CSV risk table: the dry run names the bad row, then it applies with progress', async ({ browser }, info) => {
  test.skip(info.project.name !== 'desktop', 'imports into the shared demo unit once');
  const base = info.project.use.baseURL as string;
  const unit = sql("SELECT id FROM org_units WHERE name = '区交通局'");
  const csv = [
    'unit,post,post_level,duty,risk_point,category,power_type,likelihood,impact,level,measures',
    '区交通局,路政巡查员,其它岗位,路政巡查,巡查中对违法占道收受好处后不予处理,岗位职责风险,行政处罚权,3,4,二级,监督预警：巡查全程记录仪',
    '区交通局,路政巡查员,其它岗位,路政巡查,可能性写错的一行,岗位职责风险,行政处罚权,9,4,二级,制度防范：双人巡查',
  ].join('\n');
  const page = await person(browser, base, 'lianluo', `/units/${unit}/import`);
  await page.getByLabel('选择文件').setInputFiles({ name: '路政台账.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.getByRole('button', { name: '试导入（不写入）' }).click();
  await expect(page.getByText('共 2 行：可导入 1 行，拒绝 1 行')).toBeVisible();
  const bad = page.getByRole('row').filter({ hasText: 'out_of_range' });
  await expect(bad.getByRole('cell').first()).toHaveText('3');
  expect(sql("SELECT COUNT(*) FROM risk_points WHERE description = '巡查中对违法占道收受好处后不予处理'")).toBe('0');

  await page.getByRole('button', { name: '确认导入' }).click();
  await expect(page.getByText('导入完成：新增单位 0 个、岗位 1 个、风险点 1 个')).toBeVisible();
  await expect(page.getByText('导入进度：1 / 1 行')).toBeVisible();
  expect(sql("SELECT COUNT(*) FROM risk_points WHERE description = '巡查中对违法占道收受好处后不予处理'")).toBe('1');
});

test('the unit handbook prints to A4 PDF: a title page, one section per post, the title in the PDF', async ({ browser }, info) => {
  test.skip(info.project.name !== 'desktop', 'printing is the same on every device');
  const base = info.project.use.baseURL as string;
  const unit = sql("SELECT id FROM org_units WHERE name = '区交通局'");
  const posts = Number(sql(`SELECT COUNT(*) FROM posts WHERE unit_id = ${unit}`));
  const page = await person(browser, base, 'lianluo', `/units/${unit}/handbook`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('区交通局岗位廉政风险防控工作手册');
  await expect(page.locator('.handbook-post')).toHaveCount(posts);
  await page.emulateMedia({ media: 'print' });
  await expect(page.locator('.handbook-tools')).toBeHidden();

  const pdf = await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true });
  const text = pdf.toString('latin1');
  const pages = (text.match(/\/Type\s*\/Page(?!s)/g) ?? []).length;
  // The title page, then each post starting on a page of its own.
  expect(pages).toBeGreaterThanOrEqual(posts + 1);
  expect(pdfTitle(text)).toContain('区交通局岗位廉政风险防控工作手册');
  // A4 is 595 × 842 points.
  expect(text).toMatch(/\/MediaBox\s*\[\s*0\s+0\s+59[45](\.\d+)?\s+84[12](\.\d+)?\s*\]/);
});

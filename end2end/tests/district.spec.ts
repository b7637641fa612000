import { execFileSync } from 'node:child_process';
import { expect, test, type Page } from '@playwright/test';
import { hydrated, PASSWORD, person, sql } from './support';

// Running a district: every unit's own reviewers take its sheets up the chain, a liaison records
// a handover (轮岗交流) that the new holder sees at once, and the commission starts a pilot round
// and then one for the whole district. Each project works on posts of its own.

const db = process.env.LIANFANG_E2E_DB ?? '/tmp/lianfang-e2e.db';
const bin = process.env.LIANFANG_E2E_BIN ?? 'target/release/lianfang';

async function noSidewaysScroll(page: Page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
}

test('a section head of 区教育局 approves a sheet of their own unit', async ({ browser }, info) => {
  const base = info.project.use.baseURL as string;
  const title = info.project.name === 'phone' ? '计划财务科科长' : '人事科科长';
  const post = sql(`SELECT id FROM posts WHERE title = '${title}'`);
  sql(`UPDATE risk_sheets SET stage = 'section_review' WHERE post_id = ${post}`);
  const head = await person(browser, base, 'kezhang_jy', '/');
  await expect(head.getByRole('heading', { name: /待我审核（[1-9]\d*）/ })).toBeVisible();
  await head.goto(`/posts/${post}`);
  await hydrated(head);
  await expect(head.getByText('当前环节：科室把关')).toBeVisible();
  await head.getByRole('button', { name: '审核通过' }).click();
  await expect(head.getByText('当前环节：分管领导确定')).toBeVisible();
  expect(sql(`SELECT stage FROM risk_sheets WHERE post_id = ${post}`)).toBe('leader_confirmation');
});

test('a liaison records a handover and the new holder finds the post, its points and a commitment', async ({ browser }, info) => {
  const base = info.project.use.baseURL as string;
  const phone = info.project.name === 'phone';
  const title = phone ? '户外广告审核岗' : '执法中队长';
  const newcomer = phone ? 'xinren_phone' : 'xinren_desktop';
  const post = sql(`SELECT id FROM posts WHERE title = '${title}'`);
  const unit = sql(`SELECT unit_id FROM posts WHERE id = ${post}`);
  const former = sql(`SELECT u.display_name FROM post_holders h JOIN users u ON u.id = h.user_id WHERE h.post_id = ${post}`);
  // The post's sheet was approved; the newcomer's account is made with the command line.
  sql(`UPDATE risk_sheets SET stage = 'approved' WHERE post_id = ${post}`);
  execFileSync(bin, ['--database', db, 'create-user', '--username', newcomer, '--display-name', '辛任',
    '--unit', '区城管执法局'], { env: { ...process.env, LIANFANG_NEW_PASSWORD: PASSWORD } });

  const liaison = await person(browser, base, 'lianluo_cg', '/');
  await liaison.getByRole('link', { name: '岗位与人员' }).first().click();
  await expect(liaison).toHaveURL(new RegExp(`/units/${unit}/posts$`));
  await hydrated(liaison);
  const card = liaison.locator(`section[data-post="${title}"]`);
  await expect(card.locator('.holders-current')).toContainText(former);
  await card.getByLabel(/新任人员账号/).fill(newcomer);
  await card.getByRole('button', { name: '登记交接' }).click();
  await expect(liaison.getByText(`${title}：已登记 ${newcomer} 任职，已生成待签署的承诺书`)).toBeVisible();
  await expect(card.getByRole('heading', { name: '历任人员' })).toBeVisible();
  await expect(card.locator('.holders-former')).toContainText(former);
  await expect(card.locator('.holders-current')).toContainText('辛任');
  await noSidewaysScroll(liaison);

  // The new holder: the post's approved points are theirs, with a commitment to sign.
  const holder = await person(browser, base, newcomer, '/');
  await expect(holder.getByRole('heading', { name: '我的承诺书（待签署 1 份）' })).toBeVisible();
  await expect(holder.getByRole('heading', { name: title })).toBeVisible();
  const firstRisk = sql(`SELECT description FROM risk_points p JOIN risk_sheets s ON s.id = p.sheet_id WHERE s.post_id = ${post} ORDER BY p.position LIMIT 1`);
  await expect(holder.getByText(firstRisk).first()).toBeVisible();
  await noSidewaysScroll(holder);
});

test('the commission starts a pilot round for two units, then one for the whole district', async ({ browser }, info) => {
  test.skip(info.project.name !== 'desktop', 'moves every sheet of the district into new rounds once');
  const base = info.project.use.baseURL as string;
  const commission = await person(browser, base, 'shenhe', '/');
  await commission.getByRole('link', { name: '排查批次' }).click();
  await expect(commission).toHaveURL(/\/rounds$/);
  await hydrated(commission);

  await commission.getByLabel('批次名称').fill('2027 年度试点排查');
  await commission.getByLabel('年度').fill('2027');
  await commission.getByLabel(/截止日期/).fill('2027-06-30');
  await commission.getByLabel(/试点批次/).check();
  await commission.getByLabel('区招标办').check();
  await commission.getByLabel('区卫生局').check();
  await commission.getByRole('button', { name: '启动批次' }).click();
  await expect(commission.getByText(/已启动“2027 年度试点排查”：新开排查表 \d+ 张/)).toBeVisible();
  const pilotRow = commission.locator('tr[data-round="2027 年度试点排查"]');
  await expect(pilotRow).toContainText('试点');
  await expect(pilotRow).toContainText('区招标办、区卫生局');
  const pilotSheets = sql("SELECT COUNT(*) FROM risk_sheets rs JOIN rounds r ON r.id = rs.round_id WHERE r.name = '2027 年度试点排查'");
  expect(Number(pilotSheets)).toBeGreaterThanOrEqual(6);

  // The whole district: the district root takes every unit beneath it. The form starts afresh.
  await commission.getByLabel('批次名称').fill('2027 年度全区排查');
  await expect(commission.getByLabel('年度')).toHaveValue('2027');
  await commission.getByLabel(/截止日期/).fill('2027-12-31');
  await commission.getByLabel(/全区所有单位/).check();
  await commission.getByRole('button', { name: '启动批次' }).click();
  await expect(commission.getByText(/已启动“2027 年度全区排查”/)).toBeVisible();
  const driver = sql("SELECT id FROM posts WHERE title = '驾驶员'");
  expect(sql(`SELECT r.name FROM risk_sheets rs JOIN rounds r ON r.id = rs.round_id WHERE rs.post_id = ${driver} ORDER BY r.year DESC, r.id DESC LIMIT 1`)).toBe('2027 年度全区排查');

  // Its progress, by unit and stage.
  await commission.getByRole('link', { name: '2027 年度全区排查' }).click();
  await hydrated(commission);
  await expect(commission.getByRole('heading', { name: '2027 年度全区排查' })).toBeVisible();
  await expect(commission.getByTestId('round-totals')).toContainText(/共 \d+ 张排查表/);
  await expect(commission.locator('tr[data-unit="区交通局"]')).toBeVisible();
  await expect(commission.getByText('目前没有逾期或临近截止的排查表。')).toBeVisible();
});

test('the administrator creates a unit, imports a roster into it, and the new person signs in', async ({ browser }, info) => {
  const base = info.project.use.baseURL as string;
  const phone = info.project.name === 'phone';
  const unit = phone ? '区民政局' : '区统计局';
  const login = phone ? 'minzheng_phone' : 'tongji_desktop';
  const admin = await person(browser, base, 'admin', '/');
  await admin.getByRole('link', { name: '组织机构' }).click();
  await expect(admin).toHaveURL(/\/admin\/org$/);
  await hydrated(admin);

  // A new unit directly under the district, with its district leader.
  await admin.getByLabel('名称', { exact: true }).fill(unit);
  await admin.getByLabel(/分管区领导/).fill('副区长 李明');
  await admin.getByRole('button', { name: '建立', exact: true }).click();
  await expect(admin.getByText(`已建立单位“${unit}”`)).toBeVisible();
  const row = admin.locator(`li[data-unit="${unit}"]`);
  await expect(row).toContainText('分管区领导：副区长 李明');
  expect(sql(`SELECT kind FROM org_units WHERE name = '${unit}'`)).toBe('unit');
  await noSidewaysScroll(admin);

  // The roster: one good row, one naming a unit that does not exist.
  await admin.getByRole('link', { name: '导入组织机构或花名册' }).click();
  await expect(admin).toHaveURL(/\/admin\/org\/import$/);
  await hydrated(admin);
  await admin.getByLabel('人员花名册').check();
  const file = [
    '姓名,用户名,所在单位,岗位,岗位类别,任职日期,角色',
    `冯新,${login},${unit},办公室主任,中层岗位,,科室负责人`,
    `秦误,wrong_${login},不存在的局,科员,,,`,
  ].join('\n');
  await admin.getByLabel('选择文件').setInputFiles({ name: 'roster.csv', mimeType: 'text/csv', buffer: Buffer.from(file) });
  await admin.getByRole('button', { name: '试导入（不写入）' }).click();
  await expect(admin.getByText('共 2 行：可导入 1 行，拒绝 1 行。')).toBeVisible();
  const refused = admin.locator('table', { hasText: '被拒绝的行' });
  await expect(refused).toContainText('3');
  await expect(refused).toContainText('所在单位“不存在的局”不存在');
  expect(sql(`SELECT COUNT(*) FROM users WHERE username = '${login}'`)).toBe('0');
  await admin.getByRole('button', { name: '确认导入' }).click();
  await expect(admin.getByText(/导入完成：已新建账号 1 个、岗位 1 个，登记任职 1 项/)).toBeVisible();
  const slip = admin.locator(`tr[data-username="${login}"]`);
  await expect(slip).toContainText('冯新');
  const temporary = (await slip.locator('td.password').textContent())?.trim() ?? '';
  expect(temporary).toMatch(/^[A-Za-z0-9]{12}$/);
  await noSidewaysScroll(admin);

  // The new person signs in with the temporary password and must set their own first.
  const context = await browser.newContext({ baseURL: base, locale: 'zh-CN' });
  const newcomer = await context.newPage();
  await newcomer.goto('/login');
  await hydrated(newcomer);
  await newcomer.getByLabel('用户名').fill(login);
  await newcomer.getByLabel('密码').fill(temporary);
  await newcomer.getByRole('button', { name: '登录' }).click();
  await expect(newcomer).toHaveURL(/\/account\?must_change=1$/);
  expect(sql(`SELECT p.title FROM post_holders h JOIN posts p ON p.id = h.post_id JOIN users u ON u.id = h.user_id WHERE u.username = '${login}'`)).toBe('办公室主任');
});

test('the commission sets the notice period and imports the holiday calendar', async ({ browser }, info) => {
  test.skip(info.project.name !== 'desktop', 'changes the district-wide settings once');
  const base = info.project.use.baseURL as string;
  const commission = await person(browser, base, 'shenhe', '/');
  await commission.getByRole('link', { name: '区纪委设置' }).click();
  await expect(commission).toHaveURL(/\/settings$/);
  await hydrated(commission);
  await commission.getByRole('spinbutton', { name: /公示期/ }).fill('7');
  await commission.getByRole('button', { name: '保存设置' }).click();
  await expect(commission.getByText('设置已保存')).toBeVisible();
  expect(sql('SELECT notice_days FROM district_settings')).toBe('7');
  const year = new Date().getFullYear() + 1;
  await commission.getByLabel(/导入节假日清单/).fill(`${year}-01-01 放假 元旦\n${year}-02-20 上班 春节调休`);
  await commission.getByRole('button', { name: '导入清单' }).click();
  await expect(commission.getByText(`已导入 ${year} 年的节假日安排 2 天`)).toBeVisible();
  await expect(commission.getByTestId('calendar')).toContainText(`${year}-02-20`);
  await commission.getByLabel(/导入节假日清单/).fill(`${year}-13-01 放假`);
  await commission.getByRole('button', { name: '导入清单' }).click();
  await expect(commission.getByText(/第 1 行：/)).toBeVisible();
  // Later tests count on the default notice period.
  sql('UPDATE district_settings SET notice_days = 5');
});

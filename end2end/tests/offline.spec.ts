import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { person } from './support';

const PASSWORD = 'lianfang2026';
const db = process.env.LIANFANG_E2E_DB ?? '/tmp/lianfang-e2e.db';

/** Reads the server's database with the sqlite3 tool: what the server really holds. */
function sql(query: string): string {
  return execFileSync('sqlite3', [db, query]).toString().trim();
}

/**
 * A device's network link: a TCP relay between one browser context and the server. Going offline
 * cuts the relay (and every open connection) *and* tells the browser it is offline. Playwright's
 * offline emulation alone reaches a new page or service worker a moment late, letting an early
 * request through; a cut link lets nothing through.
 */
class Link {
  private blocked = false;
  private readonly sockets = new Set<net.Socket>();
  private readonly server: net.Server;
  port = 0;

  constructor() {
    const target = Number(process.env.LIANFANG_E2E_PORT ?? '3100');
    this.server = net.createServer((client) => {
      if (this.blocked) return void client.destroy();
      const upstream = net.connect(target, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => { client.destroy(); upstream.destroy(); this.sockets.delete(s); });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
  }

  async open(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async offline(context: BrowserContext) {
    this.blocked = true;
    for (const s of this.sockets) s.destroy();
    await context.setOffline(true);
  }

  async online(context: BrowserContext) {
    await context.setOffline(false);
    this.blocked = false;
  }

  close() {
    this.blocked = true;
    for (const s of this.sockets) s.destroy();
    this.server.close();
  }
}

async function hydrated(page: Page) {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

async function signIn(page: Page, link: Link, username: string) {
  await page.goto(link.url('/login?next=/check'));
  await hydrated(page);
  await page.getByLabel('用户名').fill(username);
  await page.getByLabel('密码').fill(PASSWORD);
  await page.getByRole('button', { name: '登录' }).click();
  // The whole address: `/login?next=/check` ends in /check too.
  await expect(page).toHaveURL(link.url('/check'));
  await hydrated(page);
}

async function addRiskPoint(page: Page, n: number) {
  await page.getByRole('button', { name: '新增风险点' }).click();
  await page.getByLabel('风险点描述').fill(`离线新增风险点 ${n}：审批材料把关不严`);
  await page.getByLabel('权力类型').fill('行政审批权');
  await page.getByLabel('可能性', { exact: true }).selectOption('4');
  await page.getByLabel('危害程度', { exact: true }).selectOption(n === 1 ? '4' : '2');
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
  const link = await new Link().open();
  page.on('dialog', (d) => d.accept());
  const post = sql("SELECT h.post_id FROM post_holders h JOIN users u ON u.id = h.user_id WHERE u.username = 'zhangwei'");
  const pointsOf = (like: string) =>
    sql(`SELECT COUNT(*) FROM risk_points p JOIN risk_sheets s ON s.id = p.sheet_id WHERE s.post_id = ${post} AND p.description LIKE '${like}'`);

  // Online once: sign in, let the service worker take the page, and pull the sheet.
  await signIn(page, link, 'zhangwei');
  await expect(page.locator('body')).toHaveAttribute('data-offline-ready', 'true');
  await expect(page.getByTestId('sync-status')).toHaveText('已全部同步');
  await expect(page.getByRole('heading', { name: '局长' })).toBeVisible();

  // No network: the page still opens, signed in, with its data.
  await link.offline(context);
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
  // A page that needs the network says so, never shows another page in its place.
  await again.goto(link.url('/'));
  await expect(again.getByRole('heading', { name: '此页需要联网' })).toBeVisible();
  await expect(again.locator('main')).toContainText('“/”不能离线打开');
  await again.getByRole('link', { name: '打开岗位自查' }).click();
  await expect(again).toHaveURL(/\/check$/);
  await hydrated(again);
  await expect(again.getByTestId('queued')).toHaveText('3 条');
  for (const n of [1, 2, 3]) await expect(again.getByText(`离线新增风险点 ${n}：审批材料把关不严`)).toBeVisible();
  expect(pointsOf('离线新增风险点%')).toBe('0');

  // A shared tablet: 张伟 signs out offline; his queue stays on the device, and his server
  // session (which the cut link cannot end now) waits on the device to be ended.
  const handle: string = await again.evaluate(() => JSON.parse(localStorage.getItem('lianfang.user.zhangwei.sign_out')!));
  const sessionOpen = () => sql(`SELECT COUNT(*) FROM sessions WHERE token_hash = '${handle}'`);
  expect(sessionOpen()).toBe('1');
  await again.getByRole('button', { name: '退出登录' }).click();
  await expect(again).toHaveURL(/\/login/);
  await hydrated(again);

  // Still offline, only someone who signed in here before can unlock, with their own password.
  const offlineLogin = async (username: string, password: string) => {
    await again.getByLabel('用户名').fill(username);
    await again.getByLabel('密码').fill(password);
    await again.getByRole('button', { name: '登录' }).click();
  };
  await offlineLogin('wangfang', PASSWORD);
  await expect(again.getByRole('alert')).toHaveText('本设备上没有该用户的登录记录，请联网后登录');
  await offlineLogin('zhangwei', 'not-his-password-1');
  await expect(again.getByRole('alert')).toHaveText('用户名或密码错误');
  await offlineLogin('zhangwei', PASSWORD);
  await expect(again).toHaveURL(/\/check$/);
  await hydrated(again);
  await expect(again.getByTestId('queued')).toHaveText('3 条');
  // The password itself is not kept on the device, only a salted slow hash.
  const stored = await again.evaluate(() => JSON.stringify(Object.entries(localStorage)));
  expect(stored).not.toContain(PASSWORD);
  const auth = await again.evaluate(() => JSON.parse(localStorage.getItem('lianfang.user.zhangwei.auth')!));
  expect(auth.rounds).toBe(100000);
  expect(auth.hash).toMatch(/^[0-9a-f]{64}$/);
  await again.getByRole('button', { name: '退出登录' }).click();
  await expect(again).toHaveURL(/\/login/);

  expect(sessionOpen()).toBe('1');
  // The service worker keeps his session's handle until the server has ended it.
  const waitingSignOuts = () =>
    again.evaluate(async () => {
      const kept = await (await caches.open('sign-outs')).match('/__sign-outs');
      return kept ? ((await kept.json()) as string[]) : [];
    });
  expect(await waitingSignOuts()).toContain(handle);

  // Back online, 王芳 signs in on the same browser: she neither sees nor sends his queue. The
  // first page online ends 张伟's session before anything else is sent.
  await link.online(context);
  await signIn(again, link, 'wangfang');
  expect(sessionOpen()).toBe('0');
  expect(await waitingSignOuts()).toEqual([]);
  await expect(again.getByTestId('sync-status')).toHaveText('已全部同步');
  await expect(again.getByRole('heading', { name: '工程建设科科长' })).toBeVisible();
  await expect(again.getByTestId('queued')).toHaveText('0 条');
  await expect(again.getByText('离线新增风险点 1：审批材料把关不严')).toHaveCount(0);
  expect(pointsOf('离线新增风险点%')).toBe('0');
  await again.getByRole('button', { name: '退出登录' }).click();
  await expect(again).toHaveURL(/\/login/);

  // 张伟 signs in again: his queue drains, and the server holds each point exactly once.
  await signIn(again, link, 'zhangwei');
  await expect(again.getByTestId('queued')).toHaveText('0 条');
  await expect(again.getByTestId('sync-status')).toHaveText('已全部同步');
  await expect(again.locator('.badge-pending')).toHaveCount(0);
  expect(pointsOf('离线新增风险点%')).toBe('3');
  expect(pointsOf('%')).toBe('4');
  expect(sql(`SELECT COUNT(*) FROM measures m JOIN risk_points p ON p.id = m.risk_point_id WHERE p.description LIKE '离线新增风险点%'`)).toBe('6');
  link.close();
});

test('near the storage quota new input is refused, the queue is kept and can be exported', async ({ page, context }) => {
  const link = await new Link().open();
  page.on('dialog', (d) => d.accept());
  await signIn(page, link, 'lina');
  await expect(page.getByTestId('sync-status')).toHaveText('已全部同步');
  await link.offline(context);
  await addRiskPoint(page, 1);
  await expect(page.getByTestId('queued')).toHaveText('1 条');

  // Something else on the device has filled local storage almost to its limit.
  await page.evaluate(() => localStorage.setItem('other-app', 'x'.repeat(2_400_000)));
  await page.getByRole('button', { name: '新增风险点' }).click();
  await page.getByLabel('风险点描述').fill('存储将满时尝试新增的风险点');
  await page.getByLabel('权力类型').fill('财务权');
  await page.getByLabel('措施内容 1').fill('双人复核');
  await page.getByRole('button', { name: '保存' }).click();
  await expect(page.getByRole('alert').filter({ hasText: '本机存储即将用满' })).toBeVisible();
  await expect(page.getByTestId('queued')).toHaveText('1 条');

  // The last resort: the queue as a file.
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: '导出待同步队列' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe('lianfang-queue-lina.json');
  const exported = JSON.parse(await (await import('node:fs/promises')).readFile((await file.path())!, 'utf8'));
  expect(exported.user).toBe('lina');
  expect(exported.outbox.ops).toHaveLength(1);
  expect(exported.outbox.ops[0].risk_point.description).toBe('离线新增风险点 1：审批材料把关不严');

  // Room again, network again: the kept entry syncs.
  await page.evaluate(() => localStorage.removeItem('other-app'));
  await link.online(context);
  await page.getByRole('button', { name: '取消' }).click();
  await page.getByRole('button', { name: '立即同步' }).click();
  await expect(page.getByTestId('queued')).toHaveText('0 条');
  link.close();
});

test('a stale edit shows the server’s version beside the user’s and lets the user choose', async ({ browser }) => {
  const phone = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, locale: 'zh-CN' };
  const tablet = await (await browser.newContext(phone)).newPage();
  const office = await (await browser.newContext(phone)).newPage();
  for (const p of [tablet, office]) p.on('dialog', (d) => d.accept());
  const [tabletLink, officeLink] = [await new Link().open(), await new Link().open()];
  await signIn(tablet, tabletLink, 'liuyang');
  await signIn(office, officeLink, 'liuyang');
  await expect(tablet.getByTestId('sync-status')).toHaveText('已全部同步');
  await expect(office.getByTestId('sync-status')).toHaveText('已全部同步');

  // The tablet edits offline; meanwhile the office edits the same point and syncs.
  await tabletLink.offline(tablet.context());
  await tablet.getByRole('button', { name: '修改' }).first().click();
  await tablet.getByLabel('风险点描述').fill('平板上的修改：处罚幅度随意');
  await tablet.getByRole('button', { name: '保存' }).click();
  await office.getByRole('button', { name: '修改' }).first().click();
  await office.getByLabel('风险点描述').fill('办公室的修改：以罚代管');
  await office.getByRole('button', { name: '保存' }).click();
  await expect(office.getByTestId('queued')).toHaveText('0 条');

  // The tablet comes back: its edit was based on an old version.
  await tabletLink.online(tablet.context());
  await tablet.getByRole('button', { name: '立即同步' }).click();
  const conflict = tablet.getByRole('region', { name: /需要处理/ });
  await expect(conflict.getByText('该风险点已在其他设备上被修改')).toBeVisible();
  await expect(conflict.getByText('办公室的修改：以罚代管')).toBeVisible();
  await expect(conflict.getByText('平板上的修改：处罚幅度随意')).toBeVisible();

  // Keep mine: it is re-queued on top of the server's version and wins.
  await conflict.getByRole('button', { name: '保留我的版本' }).click();
  await tablet.getByRole('button', { name: '立即同步' }).click();
  await expect(tablet.getByTestId('queued')).toHaveText('0 条');
  await expect(tablet.getByRole('region', { name: /需要处理/ })).toHaveCount(0);
  expect(sql("SELECT COUNT(*) FROM risk_points WHERE description = '平板上的修改：处罚幅度随意' AND version = 3")).toBe('1');
  tabletLink.close();
  officeLink.close();
});

test('an edit of a point deleted elsewhere can be fixed and submitted again', async ({ browser }) => {
  const phone = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, locale: 'zh-CN' };
  const tablet = await (await browser.newContext(phone)).newPage();
  const office = await (await browser.newContext(phone)).newPage();
  for (const p of [tablet, office]) p.on('dialog', (d) => d.accept());
  const [tabletLink, officeLink] = [await new Link().open(), await new Link().open()];
  await signIn(tablet, tabletLink, 'chenjing');
  await signIn(office, officeLink, 'chenjing');
  await expect(tablet.getByTestId('sync-status')).toHaveText('已全部同步');

  await tabletLink.offline(tablet.context());
  await tablet.getByRole('button', { name: '修改' }).first().click();
  await tablet.getByLabel('风险点描述').fill('平板上修改后的风险点：公车私用');
  await tablet.getByRole('button', { name: '保存' }).click();
  await expect(office.getByTestId('sync-status')).toHaveText('已全部同步');
  await office.getByRole('button', { name: '删除' }).first().click();
  await expect(office.getByTestId('queued')).toHaveText('0 条');

  await tabletLink.online(tablet.context());
  await tablet.getByRole('button', { name: '立即同步' }).click();
  const refused = tablet.getByRole('region', { name: /需要处理/ });
  await expect(refused.getByText('该风险点已被删除')).toBeVisible();
  await refused.getByRole('button', { name: '修改后重新提交' }).click();
  await expect(refused.getByLabel('风险点描述')).toHaveValue('平板上修改后的风险点：公车私用');
  await refused.getByRole('button', { name: '保存' }).click();
  await expect(tablet.getByRole('region', { name: /需要处理/ })).toHaveCount(0);
  await expect(tablet.getByTestId('queued')).toHaveText('0 条');
  expect(sql("SELECT COUNT(*) FROM risk_points WHERE description = '平板上修改后的风险点：公车私用' AND version = 1")).toBe('1');
  tabletLink.close();
  officeLink.close();
});

test('an expired session keeps the queue and asks the user to sign in again', async ({ page, context }) => {
  const link = await new Link().open();
  page.on('dialog', (d) => d.accept());
  await signIn(page, link, 'yangli');
  await expect(page.getByTestId('sync-status')).toHaveText('已全部同步');
  await link.offline(context);
  await addRiskPoint(page, 1);

  // While the tablet was away, the server ended the session.
  sql("UPDATE sessions SET expires_at = 0 WHERE user_id = (SELECT id FROM users WHERE username = 'yangli')");
  await link.online(context);
  await page.getByRole('button', { name: '立即同步' }).click();
  const failure = page.getByRole('alert').filter({ hasText: '同步失败' });
  await expect(failure).toContainText('登录已过期');
  await expect(page.getByTestId('queued')).toHaveText('1 条');

  await failure.getByRole('link', { name: '联网重新登录' }).click();
  await page.getByLabel('用户名').fill('yangli');
  await page.getByLabel('密码').fill(PASSWORD);
  await page.getByRole('button', { name: '登录' }).click();
  await expect(page).toHaveURL(/\/check$/);
  await expect(page.getByTestId('queued')).toHaveText('0 条');
  expect(sql("SELECT COUNT(*) FROM risk_points WHERE description = '离线新增风险点 1：审批材料把关不严' AND updated_by = (SELECT id FROM users WHERE username = 'yangli')")).toBe('1');
  link.close();
});

test('a measure marked finished keeps its progress when the point is edited again', async ({ page, context }) => {
  const link = await new Link().open();
  page.on('dialog', (d) => d.accept());
  await signIn(page, link, 'zhaolei');
  await expect(page.getByTestId('sync-status')).toHaveText('已全部同步');
  const post = sql("SELECT h.post_id FROM post_holders h JOIN users u ON u.id = h.user_id WHERE u.username = 'zhaolei'");
  const progress = (description: string) =>
    sql(`SELECT group_concat(x, ',') FROM (SELECT m.status || ':' || COALESCE(m.done_on, '-') AS x FROM measures m
         JOIN risk_points p ON p.id = m.risk_point_id JOIN risk_sheets s ON s.id = p.sheet_id
         WHERE s.post_id = ${post} AND p.description = '${description}' ORDER BY m.position)`);

  // Offline too: the holder marks the first measure finished; the day defaults to today.
  await link.offline(context);
  await addRiskPoint(page, 1);
  const point = page.locator('.risk-point', { hasText: '离线新增风险点 1：审批材料把关不严' });
  await point.getByRole('button', { name: '修改' }).click();
  await expect(page.getByLabel('落实情况 1')).toHaveValue('planned');
  await page.getByLabel('落实情况 1').selectOption('done');
  await expect(page.getByLabel('完成日期 1')).not.toHaveValue('');
  await page.getByLabel('完成日期 1').fill('2026-11-30');
  await page.getByLabel('落实情况 2').selectOption('in_progress');
  await page.getByRole('button', { name: '保存' }).click();
  await expect(point.getByTestId('measure-status').first()).toHaveText('已完成（2026-11-30）');
  await expect(point.getByTestId('measure-status').nth(1)).toHaveText('进行中');

  await link.online(context);
  await page.getByRole('button', { name: '立即同步' }).click();
  await expect(page.getByTestId('sync-status')).toHaveText('已全部同步');
  expect(progress('离线新增风险点 1：审批材料把关不严')).toBe('done:2026-11-30,in_progress:-');

  // A typo fixed later does not touch the progress the form shows and sends back.
  await point.getByRole('button', { name: '修改' }).click();
  await expect(page.getByLabel('落实情况 1')).toHaveValue('done');
  await page.getByLabel('风险点描述').fill('离线新增风险点 1：审批材料把关不严格');
  await page.getByRole('button', { name: '保存' }).click();
  await expect(page.getByTestId('sync-status')).toHaveText('已全部同步');
  expect(progress('离线新增风险点 1：审批材料把关不严格')).toBe('done:2026-11-30,in_progress:-');

  // The holder rates the residual risk with the measures in place. Not lower than 4 × 4 is
  // flagged, live in the form and on the sheet, by the one rule in domain.
  const residual = () =>
    sql(`SELECT COALESCE(p.residual_likelihood, '-') || '×' || COALESCE(p.residual_impact, '-') FROM risk_points p
         JOIN risk_sheets s ON s.id = p.sheet_id WHERE s.post_id = ${post} AND p.description = '离线新增风险点 1：审批材料把关不严格'`);
  const rated = page.locator('.risk-point', { hasText: '审批材料把关不严格' });
  await rated.getByRole('button', { name: '修改' }).click();
  await expect(page.getByLabel('剩余可能性')).toHaveValue('0');
  await page.getByLabel('剩余可能性').selectOption('4');
  await page.getByRole('button', { name: '保存' }).click();
  await expect(page.getByText('剩余危害程度须与剩余可能性一同填写').first()).toBeVisible();
  await page.getByLabel('剩余危害程度').selectOption('4');
  await expect(page.getByTestId('residual-note')).toHaveText('剩余评分 16：剩余风险未低于固有风险');
  await page.getByLabel('剩余危害程度').selectOption('2');
  await expect(page.getByTestId('residual-note')).toHaveText('剩余评分 8，低于固有评分 16');
  await page.getByLabel('剩余危害程度').selectOption('4');
  await page.getByRole('button', { name: '保存' }).click();
  await expect(rated.getByRole('note')).toHaveText('⚠ 剩余风险未低于固有风险');
  await expect(page.getByTestId('sync-status')).toHaveText('已全部同步');
  expect(residual()).toBe('4×4');
  const sheet = await context.newPage();
  await sheet.goto(link.url(`/posts/${post}`));
  const shown = sheet.locator('.risk-point', { hasText: '审批材料把关不严格' });
  await expect(shown.locator('.risk-residual')).toHaveText('可能性 4 × 危害程度 4（采取措施后）');
  await expect(shown.getByRole('note')).toHaveText('⚠ 剩余风险未低于固有风险');
  await sheet.close();
  // 未评 clears it: an edit that shows the rating states it.
  await rated.getByRole('button', { name: '修改' }).click();
  await expect(page.getByLabel('剩余可能性')).toHaveValue('4');
  await page.getByLabel('剩余可能性').selectOption('0');
  await page.getByLabel('剩余危害程度').selectOption('0');
  await page.getByRole('button', { name: '保存' }).click();
  await expect(rated.getByRole('note')).toHaveCount(0);
  await expect(page.getByTestId('sync-status')).toHaveText('已全部同步');
  expect(residual()).toBe('-×-');

  // A finished measure needs its day: the form says so at the field.
  const edited = page.locator('.risk-point', { hasText: '审批材料把关不严格' });
  await edited.getByRole('button', { name: '修改' }).click();
  await page.getByLabel('落实情况 2').selectOption('done');
  await page.getByLabel('完成日期 2').fill('');
  await page.getByRole('button', { name: '保存' }).click();
  await expect(page.getByText('已完成的措施须填写完成日期')).toBeVisible();
  link.close();
});

/** The commission approves `post`'s sheet (taken to its audit first): its holder's commitment is generated. */
async function approveAsCommission(browser: Browser, post: string) {
  sql(`UPDATE risk_sheets SET stage = 'commission_audit' WHERE post_id = ${post}`);
  const base = `http://127.0.0.1:${process.env.LIANFANG_E2E_PORT ?? '3100'}`;
  const commission = await person(browser, base, 'shenhe', `/posts/${post}`);
  await commission.getByRole('button', { name: '审核通过（定稿）' }).click();
  await expect(commission.getByText('当前环节：审核通过')).toBeVisible();
  await commission.context().close();
}

/** Draws two strokes on the signature pad, as a finger would. */
async function drawSignature(page: Page) {
  const pad = page.getByTestId('signature-pad');
  await pad.scrollIntoViewIfNeeded();
  const box = (await pad.boundingBox())!;
  for (const stroke of [[[0.1, 0.6], [0.2, 0.3], [0.3, 0.7]], [[0.55, 0.3], [0.6, 0.75], [0.8, 0.5]]]) {
    await page.mouse.move(box.x + stroke[0][0] * box.width, box.y + stroke[0][1] * box.height);
    await page.mouse.down();
    for (const [x, y] of stroke.slice(1)) await page.mouse.move(box.x + x * box.width, box.y + y * box.height, { steps: 4 });
    await page.mouse.up();
  }
  await expect(pad.locator('polyline')).toHaveCount(2);
}

const postOf = (username: string) =>
  sql(`SELECT h.post_id FROM post_holders h JOIN users u ON u.id = h.user_id WHERE u.username = '${username}'`);

test('a holder signs a commitment offline on a shared tablet; it is sealed once, with both times', async ({ page, context, browser }) => {
  const link = await new Link().open();
  page.on('dialog', (d) => d.accept());
  const post = postOf('sunli');
  await approveAsCommission(browser, post);
  const sealed = () => sql(`SELECT COUNT(*) FROM commitments WHERE post_id = ${post} AND seal IS NOT NULL`);

  // Online once: the commitment comes into 孙丽's replica with the rest.
  await signIn(page, link, 'sunli');
  await expect(page.locator('body')).toHaveAttribute('data-offline-ready', 'true');
  await expect(page.getByTestId('sync-status')).toHaveText('已全部同步');
  await expect(page.getByTestId('commitment-state')).toHaveText('待签署');

  // No network: she reads the whole text and signs; a wrong password signs nothing.
  await link.offline(context);
  await page.reload();
  await hydrated(page);
  await page.getByRole('button', { name: '阅读并签署' }).click();
  const form = page.getByTestId('offline-sign');
  await expect(form).toContainText('本人孙丽');
  await drawSignature(page);
  await page.getByLabel('本人已阅读承诺书全文并自愿签署').check();
  await page.getByLabel('登录密码（在本机核验，确认本人签署）').fill('not-her-password-1');
  await page.getByRole('button', { name: '确认签署' }).click();
  await expect(form.getByRole('alert')).toHaveText('密码不正确，承诺书未签署');
  await expect(page.getByTestId('queued')).toHaveText('0 条');
  await page.getByLabel('登录密码（在本机核验，确认本人签署）').fill(PASSWORD);
  await page.getByRole('button', { name: '确认签署' }).click();
  await expect(page.getByTestId('sign-notice')).toContainText('已签署（待同步）');
  await expect(page.getByTestId('commitment-state')).toHaveText('已签署（待同步）');
  await expect(page.getByTestId('queued')).toHaveText('1 条');
  // In the outbox: it survives a reload with no network.
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId('commitment-state')).toHaveText('已签署（待同步）');
  expect(sealed()).toBe('0');

  // She signs out, still offline; back online, 马慧 signs in on the same tablet and out again.
  await page.getByRole('button', { name: '退出登录' }).click();
  await expect(page).toHaveURL(/\/login/);
  await link.online(context);
  await signIn(page, link, 'mahui');
  await expect(page.getByTestId('sync-status')).toHaveText('已全部同步');
  await expect(page.getByTestId('queued')).toHaveText('0 条');
  await expect(page.getByText('本人孙丽')).toHaveCount(0);
  expect(sealed()).toBe('0');
  await page.getByRole('button', { name: '退出登录' }).click();
  await expect(page).toHaveURL(/\/login/);

  // 孙丽 comes back online: her signing is sealed once, with the server's time and the device's.
  await signIn(page, link, 'sunli');
  await expect(page.getByTestId('queued')).toHaveText('0 条');
  await expect(page.getByTestId('commitment-state')).toContainText('已签署并封存（离线签署于');
  expect(sealed()).toBe('1');
  expect(sql(`SELECT COUNT(*) FROM commitments WHERE post_id = ${post} AND device_signed_at IS NOT NULL AND device_signed_at <= signed_at`)).toBe('1');
  expect(sql(`SELECT COUNT(*) FROM audit_log WHERE kind = 'signature' AND subject = 'commitment:' || (SELECT id FROM commitments WHERE post_id = ${post})`)).toBe('1');
  await page.getByRole('link', { name: '公开验证页' }).click();
  await expect(page.getByTestId('verify-status')).toContainText('验证通过');
  await expect(page.getByTestId('offline-signed')).toContainText('离线签署，设备时间：');
  await expect(page.getByText(/服务器封存时间：/)).toBeVisible();
  link.close();
});

test('a commitment whose text changed while its signer was offline is refused and signed again', async ({ page, context, browser }) => {
  const link = await new Link().open();
  page.on('dialog', (d) => d.accept());
  const post = postOf('mahui');
  await approveAsCommission(browser, post);
  await signIn(page, link, 'mahui');
  await expect(page.getByTestId('sync-status')).toHaveText('已全部同步');
  await expect(page.getByTestId('commitment-state')).toHaveText('待签署');

  await link.offline(context);
  await page.getByRole('button', { name: '阅读并签署' }).click();
  await drawSignature(page);
  await page.getByLabel('本人已阅读承诺书全文并自愿签署').check();
  await page.getByLabel('登录密码（在本机核验，确认本人签署）').fill(PASSWORD);
  await page.getByRole('button', { name: '确认签署' }).click();
  await expect(page.getByTestId('commitment-state')).toHaveText('已签署（待同步）');

  // Meanwhile the commission's text changes on the server.
  sql(`UPDATE commitments SET body = body || '\n（本承诺书已按区纪委意见修订）' WHERE post_id = ${post} AND seal IS NULL`);
  await link.online(context);
  await page.getByRole('button', { name: '立即同步' }).click();
  await expect(page.getByRole('heading', { name: '承诺书离线签署未能封存' })).toBeVisible();
  await expect(page.locator('.attention-item')).toContainText('您签署时看到的承诺书内容与现行内容不一致，未封存。请重新阅读承诺书后签署');
  expect(sql(`SELECT COUNT(*) FROM commitments WHERE post_id = ${post} AND seal IS NOT NULL`)).toBe('0');

  // She reads the new text and signs it.
  await expect(page.getByTestId('commitment-state')).toHaveText('待签署');
  await page.getByRole('button', { name: '阅读并签署' }).click();
  await expect(page.getByTestId('offline-sign')).toContainText('（本承诺书已按区纪委意见修订）');
  await drawSignature(page);
  await page.getByLabel('本人已阅读承诺书全文并自愿签署').check();
  await page.getByLabel('登录密码（在本机核验，确认本人签署）').fill(PASSWORD);
  await page.getByRole('button', { name: '确认签署' }).click();
  await expect(page.getByTestId('commitment-state')).toContainText('已签署并封存');
  expect(sql(`SELECT COUNT(*) FROM commitments WHERE post_id = ${post} AND seal IS NOT NULL AND body LIKE '%已按区纪委意见修订%'`)).toBe('1');
  // The refusal stays until she clears it; clearing exports it first.
  await page.getByRole('button', { name: '导出后移除，重新签署' }).click();
  await expect(page.getByRole('heading', { name: '承诺书离线签署未能封存' })).toHaveCount(0);
  link.close();
});

test('a reviewer opens the inbox and a sheet offline, from what the device keeps', async ({ page, context }) => {
  const link = await new Link().open();
  page.on('dialog', (d) => d.accept());
  const waiting = sql("SELECT id FROM posts WHERE title = '运输管理所稽查队员'");
  const opened = sql("SELECT id FROM posts WHERE title = '办公室文秘'");
  const elsewhere = sql("SELECT id FROM posts WHERE title = '医政科科长'");
  const firstRisk = (post: string) =>
    sql(`SELECT p.description FROM risk_points p JOIN current_sheets cs ON cs.id = p.sheet_id WHERE cs.post_id = ${post} ORDER BY p.position LIMIT 1`);
  const stageBefore = sql(`SELECT stage FROM risk_sheets WHERE post_id = ${waiting}`);
  sql(`UPDATE risk_sheets SET stage = 'section_review' WHERE post_id = ${waiting}`);
  try {
    // Online: the section head opens one sheet of the bureau; the one awaiting them comes with
    // the sync of the self-check.
    await signIn(page, link, 'kezhang');
    // The device is ready for offline use before she leaves the self-check: once, in CI, a
    // registration left running when she went on to the sheet did not finish in the wait.
    await expect(page.locator('body')).toHaveAttribute('data-offline-ready', 'true');
    await page.goto(link.url(`/posts/${opened}`));
    await hydrated(page);
    await expect(page.getByRole('heading', { name: '办公室文秘' })).toBeVisible();
    await page.goto(link.url('/check'));
    await hydrated(page);
    await expect(page.locator('body')).toHaveAttribute('data-offline-ready', 'true');
    await expect(page.getByTestId('sync-status')).toHaveText('已全部同步');
    const kept = page.getByRole('region', { name: '本机存有的其他排查表' });
    await expect(kept.locator('li', { hasText: '运输管理所稽查队员' })).toContainText('待我审核');
    await expect(kept.locator('li', { hasText: '办公室文秘' })).not.toContainText('待我审核');

    // No network: the sheet's own address opens the copy the device keeps, saying so.
    await link.offline(context);
    await page.goto(link.url(`/posts/${waiting}`));
    await expect(page).toHaveURL(new RegExp(`/check\\?post=${waiting}$`));
    await hydrated(page);
    await expect(page.getByTestId('kept-as-of')).toContainText('离线，数据截至');
    await expect(page.getByRole('heading', { name: '运输管理所稽查队员' })).toBeVisible();
    await expect(page.getByText(firstRisk(waiting))).toBeVisible();
    await expect(page.getByText('只读：只有该岗位的填报人可以修改。')).toBeVisible();
    await expect(page.getByRole('button', { name: '新增风险点' })).toHaveCount(0);

    // From the list, the sheet opened lately; and one the device does not keep says so.
    await page.getByRole('link', { name: '← 返回岗位自查' }).click();
    await page.getByRole('region', { name: '本机存有的其他排查表' }).getByRole('link', { name: '办公室文秘' }).click();
    await expect(page).toHaveURL(new RegExp(`/check\\?post=${opened}$`));
    await expect(page.getByText(firstRisk(opened))).toBeVisible();
    await page.goto(link.url(`/posts/${elsewhere}`));
    await hydrated(page);
    await expect(page.getByText('本机没有这张排查表')).toBeVisible();
  } finally {
    sql(`UPDATE risk_sheets SET stage = '${stageBefore}' WHERE post_id = ${waiting}`);
    link.close();
  }
});

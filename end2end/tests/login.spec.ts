import { execFileSync } from 'node:child_process';
import { expect, test, type Page } from '@playwright/test';

const PASSWORD = 'lianfang2026';

/** Fails the test on any script error or CSP violation the page reports. */
function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return errors;
}

async function hydrated(page: Page) {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

test('a post holder signs in and sees their post’s risk points after hydration', async ({ page }) => {
  const errors = collectErrors(page);
  await page.goto('/');
  await expect(page).toHaveURL(/\/login\?next=\//);
  await hydrated(page);
  await expect(page.getByRole('heading', { name: '用户登录' })).toBeVisible();

  await page.getByLabel('用户名').fill('zhangwei');
  await page.getByLabel('密码').fill(PASSWORD);
  await page.getByRole('button', { name: '登录' }).click();

  await expect(page).toHaveURL(/\/$/);
  await hydrated(page);
  await expect(page.getByRole('heading', { name: '您好，张伟' })).toBeVisible();
  const sheet = page.getByRole('region', { name: '局长' });
  await expect(sheet).toBeVisible();
  await expect(sheet.getByText('重大事项以个人意见代替集体决策')).toBeVisible();
  await expect(sheet.locator('.level-high')).toHaveText('一级');
  await expect(sheet.getByText('制度防范')).toBeVisible();

  // Nothing sticks out sideways on a 360 px phone.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  expect(errors).toEqual([]);
});

test('a wrong password is answered in Chinese and the typed name is kept', async ({ page }) => {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('用户名').fill('zhangwei');
  await page.getByLabel('密码').fill('not-the-password-1');
  await page.getByRole('button', { name: '登录' }).click();
  await expect(page.getByRole('alert')).toHaveText('用户名或密码错误');
  await expect(page.getByLabel('用户名')).toHaveValue('zhangwei');
});

test('the login form works from the keyboard alone and logout ends the session', async ({ page }) => {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('用户名').focus();
  await page.keyboard.type('kezhang');
  await page.keyboard.press('Tab');
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: '职责范围内的排查表' })).toBeVisible();

  // A section head opens a post of their unit from the list.
  await page.getByRole('link', { name: '区交通局 · 驾驶员' }).click();
  await expect(page).toHaveURL(/\/posts\/\d+$/);
  await expect(page.getByRole('heading', { name: '驾驶员' })).toBeVisible();

  await page.goto('/');
  await page.getByRole('button', { name: '退出登录' }).click();
  await expect(page.getByText('您已安全退出')).toBeVisible();
  await page.goto('/');
  await expect(page).toHaveURL(/\/login/);
});

test('signing in before the app has loaded still leads to the page asked for', async ({ browser }) => {
  // No JavaScript at all: the plain form must carry `next` by itself.
  const context = await browser.newContext({ javaScriptEnabled: false, locale: 'zh-CN' });
  const page = await context.newPage();
  // The address the self-check page's 去登录 link leads to.
  await page.goto('/login?next=/check');
  await page.getByLabel('用户名').fill('zhoujie');
  await page.getByLabel('密码').fill(PASSWORD);
  await page.getByRole('button', { name: '登录' }).click();
  await expect(page).toHaveURL(/\/check$/);
  // A next that would leave the site is dropped by the same rule.
  await page.goto('/login?next=/%5Cevil.example%2F');
  await expect(page.locator('input[name="next"]')).toHaveValue('/');
  await context.close();
});

test('signing out everywhere ends the session on the other device too', async ({ browser }) => {
  const [desk, phone] = [await browser.newContext(), await browser.newContext()];
  for (const context of [desk, phone]) {
    const page = await context.newPage();
    await page.goto('/login');
    await hydrated(page);
    await page.getByLabel('用户名').fill('sunli');
    await page.getByLabel('密码').fill(PASSWORD);
    await page.getByRole('button', { name: '登录' }).click();
    await expect(page).toHaveURL(/\/$/);
  }
  const page = desk.pages()[0];
  await page.getByRole('button', { name: '退出所有设备' }).click();
  await expect(page.getByText('您已在所有设备上退出登录')).toBeVisible();
  const other = phone.pages()[0];
  await other.goto('/');
  await expect(other).toHaveURL(/\/login/);
  await desk.close();
  await phone.close();
});

test('after an administrator resets a password, the user must set a new one first', async ({ page }) => {
  const user = test.info().project.name === 'phone' ? 'huangmin' : 'wuqiang';
  const bin = process.env.LIANFANG_E2E_BIN ?? '../target/release/lianfang';
  const db = process.env.LIANFANG_E2E_DB ?? '/tmp/lianfang-e2e.db';
  execFileSync(bin, ['--database', db, 'reset-password', user], {
    env: { ...process.env, LIANFANG_NEW_PASSWORD: 'Temporary2026x', LIANFANG_LOG: 'error' },
  });
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('用户名').fill(user);
  await page.getByLabel('密码').fill('Temporary2026x');
  await page.getByRole('button', { name: '登录' }).click();
  await expect(page).toHaveURL(/\/account\?must_change=1$/);
  await hydrated(page);
  await expect(page.getByRole('alert')).toContainText('管理员设置的临时密码');
  await page.getByLabel('当前密码').fill('Temporary2026x');
  await page.getByLabel('新密码', { exact: true }).fill('NewSecret2026x');
  await page.getByLabel('再次输入新密码').fill('NewSecret2026x');
  await page.getByRole('button', { name: '保存新密码' }).click();
  await expect(page.getByText('密码已修改')).toBeVisible();
  await expect(page.getByTestId('sessions').getByText('本设备')).toBeVisible();
  await page.goto('/');
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
});

test('the administrator deactivates, restores and resets an account from the account list', async ({ page }) => {
  const user = test.info().project.name === 'phone' ? 'zhenghua' : 'liangyu';
  page.on('dialog', (d) => d.accept());
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('用户名').fill('admin');
  await page.getByLabel('密码').fill(PASSWORD);
  await page.getByRole('button', { name: '登录' }).click();
  await expect(page).toHaveURL(/\/$/);
  await page.getByRole('link', { name: '账号管理' }).click();
  await hydrated(page);
  const row = page.locator(`tr[data-username="${user}"]`);
  await row.getByRole('button', { name: '停用' }).click();
  await expect(page.getByText(/的账号已停用/)).toBeVisible();
  await expect(row.getByText('已停用')).toBeVisible();
  await row.getByRole('button', { name: '恢复' }).click();
  await expect(page.getByText(/的账号已恢复/)).toBeVisible();
  await expect(row.getByText('正常')).toBeVisible();
  await row.getByRole('button', { name: '解除登录限制' }).click();
  await expect(page.getByText(/已解除 .* 的登录限制/)).toBeVisible();
  // A reset: the temporary password is asked for in the row, and the state shows it.
  await row.getByRole('button', { name: '重置密码' }).click();
  await row.getByLabel('临时密码').fill('Temporary2026y');
  await row.getByRole('button', { name: '确认重置' }).click();
  await expect(page.getByText(/的密码已重置/)).toBeVisible();
  await expect(row.getByText('待修改密码')).toBeVisible();
  // Nothing sticks out sideways on a phone.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
});

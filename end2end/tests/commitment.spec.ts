import { expect, test } from '@playwright/test';
import { hydrated, PASSWORD, signIn, sql } from './support';

// A post holder signs their integrity commitment on a phone: draws the signature with pointer
// events, re-enters the password, and opens the public verification page, which verifies.

test('a holder draws a signature on a phone, signs with the password, and the public page verifies it', async ({ page, browser }, info) => {
  test.skip(info.project.name !== 'phone', 'signing by finger is the phone case');
  const base = info.project.use.baseURL as string;
  const post = sql("SELECT id FROM posts WHERE title = '医政科科长'");
  sql(`UPDATE risk_sheets SET stage = 'commission_audit' WHERE post_id = ${post}`);

  // The commission approves the sheet: the holder's commitment is generated.
  const commission = await (await browser.newContext({ baseURL: base, locale: 'zh-CN' })).newPage();
  commission.on('dialog', (d) => d.accept());
  await signIn(commission, 'shenhe', `/posts/${post}`);
  await commission.getByRole('button', { name: '审核通过（定稿）' }).click();
  await expect(commission.getByText('当前环节：审核通过')).toBeVisible();

  page.on('dialog', (d) => d.accept());
  await signIn(page, 'xujun', '/');
  await expect(page.getByRole('heading', { name: '我的承诺书（待签署 1 份）' })).toBeVisible();
  await page.getByRole('link', { name: /廉政风险防范承诺书 · 医政科科长/ }).click();
  await hydrated(page);
  await expect(page.getByText('本人徐军，现任区卫生局医政科科长')).toBeVisible();

  // Two strokes with the pointer, as a finger would draw them.
  const pad = page.getByTestId('signature-pad');
  await pad.scrollIntoViewIfNeeded();
  const box = (await pad.boundingBox())!;
  const stroke = async (points: [number, number][]) => {
    await page.mouse.move(box.x + points[0][0] * box.width, box.y + points[0][1] * box.height);
    await page.mouse.down();
    for (const [x, y] of points.slice(1)) {
      await page.mouse.move(box.x + x * box.width, box.y + y * box.height, { steps: 4 });
    }
    await page.mouse.up();
  };
  await stroke([[0.1, 0.6], [0.2, 0.3], [0.3, 0.7], [0.4, 0.35]]);
  await stroke([[0.55, 0.3], [0.6, 0.75], [0.8, 0.5]]);
  await expect(pad.locator('polyline')).toHaveCount(2);

  // A wrong password signs nothing and says so.
  await page.getByLabel('登录密码（确认本人签署）').fill('not-the-password');
  await page.getByLabel('本人已阅读承诺书全文并自愿签署').check();
  await page.getByRole('button', { name: '确认签署' }).click();
  await expect(page.getByRole('alert')).toHaveText('密码不正确，承诺书未签署');
  expect(sql(`SELECT COUNT(*) FROM commitments WHERE post_id = ${post} AND seal IS NOT NULL`)).toBe('0');

  await page.getByLabel('登录密码（确认本人签署）').fill(PASSWORD);
  await page.getByRole('button', { name: '确认签署' }).click();
  await expect(page.getByText('电子封印（SHA-256）')).toBeVisible();
  const seal = sql(`SELECT seal FROM commitments WHERE post_id = ${post}`);
  expect(seal).toMatch(/^[0-9a-f]{64}$/);
  await expect(page.getByText(seal)).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);

  // The verification page (what the printed QR code opens) says it verifies.
  await page.getByRole('link', { name: '查看公开验证页（可打印，含二维码）' }).click();
  await expect(page).toHaveURL(/\/verify\/[0-9a-f]{32}$/);
  await expect(page.getByTestId('verify-status')).toContainText('验证通过');
  await expect(page.getByRole('img', { name: '承诺人手写签名' }).locator('polyline')).toHaveCount(2);
  await expect(page.getByRole('img', { name: '本页地址的二维码' })).toBeVisible();

  // It prints on A4, without the page's buttons.
  await page.emulateMedia({ media: 'print' });
  await expect(page.getByRole('button', { name: '打印承诺书（A4）' })).toBeHidden();
  const pdf = (await page.pdf({ format: 'A4', printBackground: true })).toString('latin1');
  expect((pdf.match(/\/Type\s*\/Page(?!s)/g) ?? []).length).toBeGreaterThanOrEqual(1);
  expect(pdf).toMatch(/\/MediaBox\s*\[\s*0\s+0\s+59[45](\.\d+)?\s+84[12](\.\d+)?\s*\]/);
});

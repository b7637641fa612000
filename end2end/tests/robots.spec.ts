import { createServer } from 'node:http';
import { expect, test } from '@playwright/test';
import { freePort, hydrated, person, sql } from './support';

// 群机器人推送 on a 360 px phone: the commission sets 区交通局's 企业微信 group robot on the
// settings page (an address that is not https is refused with the field named), sends a test
// message that a real local HTTP receiver gets, reads 已送达 in the record with the key masked,
// and removes the robot again.
test('the commission sets a unit\'s group robot, its test message arrives, and it is removed', async ({ browser }, info) => {
  test.skip(info.project.name !== 'phone', 'one run is enough: the robots are the district\'s');
  const base = info.project.use.baseURL as string;
  const got: unknown[] = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      got.push(JSON.parse(body));
      res.setHeader('content-type', 'application/json');
      res.end('{"errcode":0,"errmsg":"ok"}');
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => receiver.listen(port, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${port}/cgi-bin/webhook/send?key=e2e-secret-key-4b2d`;

  try {
    const commission = await person(browser, base, 'shenhe', '/settings');
    const card = commission.getByRole('region', { name: '群机器人推送' });
    await expect(card.getByText('尚未设置群机器人。')).toBeVisible();
    await card.getByLabel('单位', { exact: true }).selectOption({ label: '区交通局' });
    await card.getByLabel(/Webhook 地址/).fill('http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=1');
    await card.getByRole('button', { name: '保存群机器人' }).click();
    await expect(card.getByRole('alert')).toContainText('机器人地址：应以 https:// 开头');
    await expect(card.getByLabel(/Webhook 地址/)).toHaveAttribute('aria-invalid', 'true');
    expect(sql('SELECT COUNT(*) FROM unit_robots')).toBe('0');

    await card.getByLabel(/Webhook 地址/).fill(url);
    await card.getByRole('button', { name: '保存群机器人' }).click();
    await expect(commission.getByRole('status').filter({ hasText: '群机器人已保存' })).toBeVisible();
    const row = card.getByTestId('robots').locator('tr[data-unit="区交通局"]');
    await expect(row).toContainText('企业微信群机器人');
    await expect(row).toContainText('…4b2d');
    await expect(card).not.toContainText('e2e-secret');

    await row.getByRole('button', { name: '发送测试消息：区交通局' }).click();
    await expect(commission.getByRole('status').filter({ hasText: '测试消息已加入发送队列' })).toBeVisible();
    // The server hands the queue on every few seconds.
    await expect.poll(() => got.length, { timeout: 20_000 }).toBe(1);
    expect(JSON.stringify(got[0])).toContain('测试消息');
    await expect.poll(() => sql("SELECT status FROM robot_deliveries ORDER BY id DESC LIMIT 1")).toBe('sent');
    await commission.reload();
    await hydrated(commission);
    await expect(card.getByTestId('deliveries').locator('tbody tr').first()).toContainText('已送达');

    await row.getByRole('button', { name: '删除群机器人：区交通局' }).click();
    await expect(commission.getByRole('status').filter({ hasText: '群机器人已删除' })).toBeVisible();
    await expect(card.getByText('尚未设置群机器人。')).toBeVisible();
    expect(sql('SELECT COUNT(*) FROM unit_robots')).toBe('0');
    await commission.context().close();
  } finally {
    receiver.close();
  }
});

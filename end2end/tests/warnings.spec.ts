import { expect, test } from '@playwright/test';
import { hydrated, pdfTitle, person, sql } from './support';

// 预警 on a 360 px phone: the commission raises a yellow warning about 陈静; she answers from her
// phone with no network and it syncs; the commission sends the answer back; her next answer is
// late and the overdue check takes the warning to red; the notice prints on A4.
test('a yellow warning is answered offline, sent back, escalates to red when late, and prints on A4', async ({ browser }, info) => {
  test.skip(info.project.name !== 'phone', 'the warning flow is a phone scenario');
  const base = info.project.use.baseURL as string;
  const reason = '群众信访反映驾驶员陈静多次私用公车接送家属';

  // The commission raises it from a complaint.
  const commission = await person(browser, base, 'shenhe', '/warnings');
  const form = commission.getByRole('region', { name: '发出预警' });
  await form.getByLabel('单位').selectOption(sql("SELECT id FROM org_units WHERE name = '区交通局'"));
  await form.getByLabel('预警对象').selectOption({ label: '陈静' });
  await form.getByLabel('预警等级').selectOption({ label: '黄色预警' });
  await form.getByLabel('线索来源').selectOption({ label: '信访举报' });
  await form.getByLabel('来源编号（选填，如信访件编号、检查报告文号）').fill('区信访〔2026〕12号');
  // A period past 90 days is refused, naming the field; nothing is raised.
  await form.getByLabel('预警事由').fill(reason);
  await form.getByLabel(/^答复期限/).fill('120');
  await form.getByRole('button', { name: '发出预警' }).click();
  await expect(form.getByRole('alert')).toContainText('答复期限应为 1 至 90 天');
  expect(sql(`SELECT COUNT(*) FROM warnings WHERE reason = '${reason}'`)).toBe('0');
  await form.getByLabel(/^答复期限/).fill('');
  await form.getByRole('button', { name: '发出预警' }).click();
  await expect(commission.getByRole('status').filter({ hasText: '已发出预警' })).toContainText('（陈静）');
  const id = sql(`SELECT id FROM warnings WHERE reason = '${reason}'`);
  const number = sql(`SELECT '廉预〔' || year || '〕' || seq || '号' FROM warnings WHERE id = ${id}`);
  const listed = commission.locator('tr', { hasText: number });
  await expect(listed).toContainText('黄色预警');
  await expect(listed).toContainText('待答复');

  // 陈静 sees it on her home page and on the warning's page; she answers in the self-check,
  // which keeps the warnings she answers on the phone, with no network.
  const holder = await person(browser, base, 'chenjing', '/');
  // The warning arrived as a notification too; reading the list and marking it read.
  await expect(holder.getByTestId('notifications-link')).toHaveText(/^通知（\d+ 条未读）$/);
  await holder.getByTestId('notifications-link').click();
  await expect(holder).toHaveURL(/\/notifications$/);
  await hydrated(holder);
  await expect(holder.getByTestId('notification').first()).toContainText(number);
  await holder.getByRole('button', { name: '全部标为已读' }).click();
  await expect(holder.getByTestId('unread-count')).toHaveText('未读 0 条');
  await holder.goto('/');
  await hydrated(holder);
  await expect(holder.getByTestId('notifications-link')).toHaveText('通知');
  await holder.getByTestId('warnings-to-do').getByRole('link').click();
  await expect(holder).toHaveURL(/\/warnings$/);
  await hydrated(holder);
  await holder.getByRole('region', { name: /待我办理/ }).getByRole('link', { name: new RegExp(number) }).click();
  await expect(holder).toHaveURL(new RegExp(`/warnings/${id}$`));
  await hydrated(holder);
  await expect(holder.getByRole('heading', { level: 1 })).toHaveText('预警通知书');
  await expect(holder.getByRole('article').getByText(reason)).toBeVisible();
  await holder.goto('/check');
  await hydrated(holder);
  await expect(holder.getByTestId('sync-status')).toHaveText('已全部同步');
  const mine = holder.getByRole('region', { name: '待我答复的预警' });
  const row = mine.getByTestId('warning-row').filter({ hasText: number });
  await expect(row).toContainText(reason);
  await holder.context().setOffline(true);
  await row.getByRole('button', { name: '书面答复' }).click();
  // The device checks the answer by the server's rules before keeping it.
  await mine.getByLabel('原因分析').fill('公车使用登记制度执行不严，本人纪律意识淡薄');
  await mine.getByRole('button', { name: '保存答复' }).click();
  await expect(mine.getByRole('alert')).toContainText('整改措施');
  await mine.getByLabel('整改措施').fill('即日起严格执行派车单制度，每月公示用车记录');
  await mine.getByRole('button', { name: '保存答复' }).click();
  await expect(holder.getByTestId('answer-notice')).toHaveText('答复已保存在本机，联网后自动提交');
  await expect(row.getByTestId('warning-state')).toHaveText('已答复（待同步）');
  expect(sql(`SELECT status FROM warnings WHERE id = ${id}`)).toBe('awaiting_answer');
  // Back online, it syncs, once.
  await holder.context().setOffline(false);
  await expect(row.getByTestId('warning-state')).toHaveText('已答复，待审核');
  expect(sql(`SELECT status FROM warnings WHERE id = ${id}`)).toBe('answered');
  expect(sql(`SELECT COUNT(*) FROM warning_events WHERE warning_id = ${id} AND kind = 'answered'`)).toBe('1');

  // The commission sends it back with a reason.
  await commission.goto(`/warnings/${id}`);
  await hydrated(commission);
  const decide = commission.getByRole('region', { name: '审核答复' });
  await decide.getByLabel('退回理由').fill('整改措施未写明完成时限');
  await decide.getByRole('button', { name: '审核不通过，退回重订' }).click();
  await expect(commission.getByRole('status').filter({ hasText: '已退回重订' })).toBeVisible();
  await expect(commission.getByTestId('warning-status')).toContainText('待答复');

  // The new answer is late: the overdue check takes the warning a level up, to red.
  sql(`UPDATE warnings SET due = '2000-01-01' WHERE id = ${id}`);
  await commission.goto('/warnings');
  await hydrated(commission);
  await commission.getByRole('button', { name: '立即检查' }).click();
  await expect(commission.getByRole('status').filter({ hasText: '已检查' })).toContainText('因逾期未答复升级');
  await expect(commission.locator('tr', { hasText: number })).toContainText('红色预警');
  await holder.goto(`/warnings/${id}`);
  await hydrated(holder);
  await expect(holder.getByTestId('warning-status')).toContainText('红色预警');
  await expect(holder.getByTestId('warning-status')).toContainText('由黄色预警升级');
  await expect(holder.getByRole('region', { name: '办理经过' })).toContainText('逾期未答复');
  expect(sql(`SELECT COUNT(*) FROM audit_log WHERE subject = 'warning:${id}' AND kind = 'warning_escalated'`)).toBe('1');

  // The notice prints on A4 with its number, without the page's forms.
  await holder.emulateMedia({ media: 'print' });
  await expect(holder.getByRole('region', { name: '提交书面答复' })).toBeHidden();
  const pdf = await holder.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true });
  const text = pdf.toString('latin1');
  expect(pdfTitle(text)).toContain(number);
  expect(text).toMatch(/\/MediaBox\s*\[\s*0\s+0\s+59[45](\.\d+)?\s+84[12](\.\d+)?\s*\]/);

  // Two days before the red answer is due (here: tomorrow, China time), the check reminds her, once.
  await holder.emulateMedia({ media: 'screen' });
  sql(`UPDATE warnings SET due = date('now', '+8 hours', '+1 day') WHERE id = ${id}`);
  await commission.getByRole('button', { name: '立即检查' }).click();
  const checked = commission.getByRole('status').filter({ hasText: '已检查' });
  await expect(checked).toContainText(/[1-9]\d* 条预警已提醒答复即将到期/);
  await holder.goto('/notifications');
  await hydrated(holder);
  const reminder = holder.getByTestId('notification').filter({ hasText: '书面答复须于' }).filter({ hasText: number });
  await expect(reminder).toContainText('（1 天后到期），逾期未答复将升级');
  const reminded = `SELECT COUNT(*) FROM notifications WHERE kind = 'warning_answer_due' AND link = '/warnings/${id}'`;
  expect(sql(reminded)).toBe('1');
  await commission.getByRole('button', { name: '立即检查' }).click();
  await expect(checked).not.toContainText(/[1-9]\d* 条预警已提醒答复即将到期/);
  expect(sql(reminded)).toBe('1');
  await commission.context().close();
  await holder.context().close();
});

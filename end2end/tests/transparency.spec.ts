import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { freePort, hydrated, PASSWORD, person } from './support';

// The transparency log (issue 17), on a server of its own so that its log can be cut: a
// commitment's verification page proves in the visitor's browser that the signature is in the
// signed tree head; a printed handbook carries the head it was printed under, which checks
// against the log — until the newest entries are cut off.

test('the verification page checks its inclusion proof in the browser, and a printed handbook head fails after a truncation', async ({ browser }, info) => {
  test.skip(info.project.name !== 'desktop', 'one run is enough: the checks are the same on a phone');
  const work = mkdtempSync(path.join(tmpdir(), 'lianfang-transparency-'));
  const db = path.join(work, 'log.db');
  const sql = (query: string) => execFileSync('sqlite3', [db, query]).toString().trim();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // From the repository root, as the suite's own server runs: the built site is found there.
  const root = path.resolve(__dirname, '../..');
  const bin = process.env.LIANFANG_E2E_BIN ?? path.join(root, 'target/release/lianfang');
  const serve = async (): Promise<ChildProcess> => {
    const server = spawn(bin, ['serve', '--seed-demo'], {
      cwd: root,
      env: { ...process.env, LIANFANG_DATABASE: db, LIANFANG_ADDR: `127.0.0.1:${port}`, LIANFANG_LOG: 'warn' },
      stdio: 'ignore',
    });
    await expect.poll(async () => (await fetch(`${base}/api/health`).catch(() => null))?.status, { timeout: 30_000 }).toBe(200);
    return server;
  };
  const stop = (server: ChildProcess) => new Promise((resolve) => { server.once('exit', resolve); server.kill(); });
  let server = await serve();
  try {
    // The commission approves 杨丽's sheet; she signs her commitment.
    const post = sql("SELECT id FROM posts WHERE title = '办公室文秘'");
    sql(`UPDATE risk_sheets SET stage = 'commission_audit' WHERE post_id = ${post}`);
    const commission = await person(browser, base, 'shenhe', `/posts/${post}`);
    await commission.getByRole('button', { name: '审核通过（定稿）' }).click();
    await expect(commission.getByText('当前环节：审核通过')).toBeVisible();
    const holder = await person(browser, base, 'yangli', '/');
    const cid = sql(`SELECT id FROM commitments WHERE post_id = ${post}`);
    const signed = await holder.request.post(`/api/commitments/${cid}/sign`, {
      headers: { Origin: base },
      data: { kind: 'typed', typed_name: '杨丽', password: PASSWORD, confirmed: true },
    });
    expect(signed.status()).toBe(200);
    const { token } = await signed.json();
    const seq = sql(`SELECT log_seq FROM commitments WHERE id = ${cid}`);

    // A visitor opens the verification page: the browser recomputes the root from the entry's
    // hash and the proof, and checks the head's signature.
    const visitor = await (await browser.newContext({ baseURL: base, locale: 'zh-CN' })).newPage();
    await visitor.goto(`/verify/${token}`);
    const status = visitor.getByTestId('inclusion-status');
    await expect(status).toHaveAttribute('data-result', 'ok');
    const size = sql('SELECT size FROM tree_heads ORDER BY id DESC LIMIT 1');
    await expect(status).toContainText(`已在本浏览器中核对：第 ${seq} 条审计记录包含在共 ${size} 条记录的签名树头中`);
    await expect(status).toHaveAttribute('data-signature', 'true');
    await expect(status).toContainText('树头签名经本浏览器核对有效');
    const ms = Number(await status.getAttribute('data-ms'));
    console.log(`inclusion proof checked in the browser in ${ms} ms`);
    // The same check on an altered entry fails, in the browser too.
    const altered = await visitor.evaluate(() => {
      const el = document.querySelector('[data-inclusion]') as HTMLElement;
      const p = JSON.parse(el.getAttribute('data-inclusion')!);
      p.entry_hash = p.entry_hash.replace(/^./, (c: string) => (c === '0' ? '1' : '0'));
      el.setAttribute('data-inclusion', JSON.stringify(p));
      (window as any).lianfangProofs.checkInclusion(el);
      return [el.getAttribute('data-result'), el.textContent];
    });
    expect(altered).toEqual(['fail', '核对失败：签署记录与树头不符，本页内容不可信。']);

    // The section head prints the unit's handbook: it carries the head it is printed under.
    const unit = sql("SELECT id FROM org_units WHERE name = '区交通局'");
    const reader = await person(browser, base, 'kezhang', `/units/${unit}/handbook`);
    await reader.emulateMedia({ media: 'print' });
    const printed = reader.getByTestId('printed-head');
    await expect(printed).toBeVisible();
    await expect(printed).toContainText(`打印时的审计树头：共 ${size} 条记录`);
    await expect(reader.getByRole('img', { name: '核对本打印件的二维码' })).toBeVisible();
    const check = (await reader.getByTestId('check-printout').getAttribute('href'))!;
    expect(check).toBe(`${base}/transparency?size=${size}&root=${sql('SELECT root FROM tree_heads ORDER BY id DESC LIMIT 1')}`);
    const pdf = (await reader.pdf({ format: 'A4' })).toString('latin1');
    expect((pdf.match(/\/Type\s*\/Page(?!s)/g) ?? []).length).toBeGreaterThanOrEqual(1);

    // Later, someone checks the printout against today's log: it holds.
    await visitor.goto(check);
    const verdict = visitor.getByTestId('saved-head-result');
    await expect(verdict).toHaveAttribute('data-result', 'ok');
    await expect(verdict).toContainText(`一致：今天的审计记录（共`);
    await expect(visitor.getByTestId('latest-size')).toHaveText(size);

    // Whoever holds the file cuts off the newest entry (the signature) with the tree and the
    // heads, and restarts the server, which rebuilds its tree from the cut log.
    await stop(server);
    sql(`DROP TRIGGER audit_log_no_delete; DROP TRIGGER audit_tree_no_delete; DROP TRIGGER tree_heads_no_delete;
         DELETE FROM audit_log WHERE seq > ${Number(size) - 1}; DELETE FROM audit_tree; DELETE FROM tree_heads;`);
    server = await serve();
    await visitor.goto(check);
    await expect(verdict).toHaveAttribute('data-result', 'fail');
    await expect(verdict).toContainText(`不一致：审计记录被截断：保存的树头含 ${size} 条记录，现只有 ${Number(size) - 1} 条`);
    // A forged root for a size the log still holds fails the same way: the proof leads elsewhere.
    await visitor.getByLabel('记录数（size）').fill('1');
    await visitor.getByLabel('根哈希（root，64 位十六进制）').fill('ab'.repeat(32));
    await visitor.getByRole('button', { name: '核对' }).click();
    await expect(verdict).toContainText('不一致：今天的审计记录不再延续这个树头');
    await expect(verdict).toHaveAttribute('data-result', 'fail');
    await visitor.context().close();
  } finally {
    await stop(server);
    rmSync(work, { recursive: true, force: true });
  }
});

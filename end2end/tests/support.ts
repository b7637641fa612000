import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { expect, type Browser, type Page } from '@playwright/test';

/** The demo accounts' password (demo data only). */
export const PASSWORD = 'lianfang2026';

const db = process.env.LIANFANG_E2E_DB ?? '/tmp/lianfang-e2e.db';

/** Reads or changes the server's database with the sqlite3 tool: what the server really holds. */
export function sql(query: string): string {
  return execFileSync('sqlite3', [db, query]).toString().trim();
}

/** Waits until the wasm has hydrated the page (the app marks `<body>`). */
export async function hydrated(page: Page) {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

/**
 * Signs `page` in through the login form and waits until `path` is interactive. Signing in
 * loads `path` anew: waiting for its address first keeps the login page's own hydration mark
 * from being taken for the new page's.
 */
export async function signIn(page: Page, username: string, path: string) {
  await page.goto(`/login?next=${encodeURIComponent(path)}`);
  await hydrated(page);
  await page.getByLabel('用户名').fill(username);
  await page.getByLabel('密码').fill(PASSWORD);
  await page.getByRole('button', { name: '登录' }).click();
  await expect(page).toHaveURL(new RegExp(`${path.replace(/[/?]/g, '\\$&')}$`));
  await hydrated(page);
}

/** A person in a browser of their own, signed in, on `path`; dialogs are accepted. */
export async function person(browser: Browser, base: string, username: string, path: string): Promise<Page> {
  const context = await browser.newContext({ baseURL: base, locale: 'zh-CN' });
  const page = await context.newPage();
  page.on('dialog', (d) => d.accept());
  await signIn(page, username, path);
  return page;
}

/** A free TCP port on the loopback, for a server of a test's own. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** The document title from a PDF's info dictionary (a UTF-16BE hex string or a literal). */
export function pdfTitle(pdf: string): string {
  const hex = pdf.match(/\/Title\s*<([0-9A-Fa-f]+)>/);
  if (hex) {
    const bytes = Buffer.from(hex[1], 'hex');
    const body = bytes[0] === 0xfe && bytes[1] === 0xff ? bytes.subarray(2) : bytes;
    let out = '';
    for (let i = 0; i + 1 < body.length; i += 2) out += String.fromCharCode((body[i] << 8) | body[i + 1]);
    return out;
  }
  const literal = pdf.match(/\/Title\s*\(([^)]*)\)/);
  return literal ? literal[1] : '';
}

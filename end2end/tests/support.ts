import { execFileSync } from 'node:child_process';
import { expect, type Page } from '@playwright/test';

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

import { expect, test } from '@playwright/test';
import { hydrated, person } from './support';

// The phone offers 添加到主屏幕: the manifest names the app, opens the self-check standalone and
// has the icons an installed app needs; and the self-check says when this device can open it
// with no network.

test('the app is installable and the self-check says when the device is ready for offline use', async ({ browser }, info) => {
  test.skip(info.project.name !== 'phone', 'a phone is where it is installed');
  const base = info.project.use.baseURL as string;
  const page = await person(browser, base, 'lina', '/check');
  await expect(page.getByTestId('offline-ready')).toHaveText('本机已可离线使用');
  await expect(page.locator('body')).toHaveAttribute('data-offline-ready', 'true');

  const link = await page.locator('link[rel="manifest"]').getAttribute('href');
  expect(link).toBe('/manifest.webmanifest');
  const response = await page.request.get(link!);
  expect(response.status()).toBe(200);
  expect(response.headers()['content-type']).toContain('manifest+json');
  // Built files are checked for a newer version on every visit (names stay the same from one
  // deploy to the next), never served stale; pages are never stored at all.
  expect(response.headers()['cache-control']).toBe('no-cache');
  const wasm = await page.request.get('/pkg/lianfang.wasm');
  expect(wasm.status()).toBe(200);
  expect(wasm.headers()['cache-control']).toBe('no-cache');
  expect((await page.request.get('/check')).headers()['cache-control']).toBe('no-store');
  const manifest = await response.json();
  expect(manifest).toMatchObject({ short_name: '廉防', start_url: '/check', display: 'standalone', lang: 'zh-CN' });
  for (const size of ['192x192', '512x512']) {
    const icon = manifest.icons.find((i: { sizes: string }) => i.sizes === size);
    expect(icon, size).toBeTruthy();
    const image = await page.request.get(icon.src);
    expect(image.status(), size).toBe(200);
    expect(image.headers()['content-type']).toBe('image/png');
  }
  await expect(page.locator('meta[name="theme-color"]')).toHaveAttribute('content', manifest.theme_color);

  // Chromium itself finds nothing missing for installing the app (a test browser's context is
  // incognito, which Chromium names too, but which says nothing about the app).
  const cdp = await page.context().newCDPSession(page);
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
  expect(installabilityErrors.map((e: { errorId: string }) => e.errorId).filter((id: string) => id !== 'in-incognito')).toEqual([]);
  await hydrated(page);
});

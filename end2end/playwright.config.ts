import { defineConfig, devices } from '@playwright/test';

// The server under test: the release binary built by `cargo leptos build --release`, on a port
// and a fresh database chosen by scripts/test.sh.
const port = process.env.LIANFANG_E2E_PORT ?? '3100';
const baseURL = `http://127.0.0.1:${port}`;
// Relative paths are resolved from the repository root, where the server runs.
const bin = process.env.LIANFANG_E2E_BIN ?? 'target/release/lianfang';
const db = process.env.LIANFANG_E2E_DB ?? '/tmp/lianfang-e2e.db';

// Debian's Chromium, never a downloaded browser; the flags keep it off the (closed) network.
const chromium = {
  executablePath: '/usr/bin/chromium',
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
};

export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: true,
  use: { baseURL, locale: 'zh-CN', launchOptions: chromium, trace: 'off' },
  projects: [
    // The offline and district-scale scenarios are a phone's: they run in the phone project only.
    { name: 'desktop', testIgnore: /(offline|scale)\.spec\.ts/, use: { ...devices['Desktop Chrome'], launchOptions: chromium } },
    {
      name: 'phone',
      use: {
        viewport: { width: 360, height: 740 },
        deviceScaleFactor: 2,
        isMobile: true,
        hasTouch: true,
        launchOptions: chromium,
      },
    },
  ],
  webServer: {
    command: `"${bin}" serve --seed-demo`,
    cwd: '..',
    url: `${baseURL}/api/health`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
    env: {
      LIANFANG_DATABASE: db,
      LIANFANG_ADDR: `127.0.0.1:${port}`,
      LIANFANG_LOG: 'warn',
    },
  },
});

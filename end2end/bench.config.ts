import base from './playwright.config';
import { defineConfig } from '@playwright/test';

// The benchmarks reuse the test server set-up, on the phone project only.
export default defineConfig({
  ...base,
  testDir: './bench',
  testMatch: /.*\.bench\.ts/,
  projects: (base.projects ?? []).filter((p) => p.name === 'phone'),
});

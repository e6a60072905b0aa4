// Benchmark helper: what Chromium transfers to load and hydrate each page (compressed bodies of
// the document and every /pkg asset, ECharts apart). Usage: node page_weight.mjs BASE COOKIE PATH...
// COOKIE is name=value, or - for none.
import { chromium } from 'playwright-core';

const [base, cookie, ...paths] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
try {
  for (const path of paths) {
    const context = await browser.newContext();
    if (cookie !== '-') {
      const [name, value] = cookie.split('=');
      await context.addCookies([{ name, value, url: base }]);
    }
    const page = await context.newPage();
    const done = [];
    page.on('requestfinished', r => {
      const url = new URL(r.url());
      if (r.resourceType() === 'document' || url.pathname.startsWith('/pkg/')) {
        done.push(r.sizes().then(s => s.responseBodySize));
      }
    });
    const t0 = Date.now();
    await page.goto(base + path);
    await page.locator('html[data-hydrated]').waitFor({ state: 'attached', timeout: 20000 });
    const ms = Date.now() - t0;
    await page.waitForLoadState('networkidle');
    const sizes = await Promise.all(done);
    const kib = Math.round(sizes.reduce((a, b) => a + b, 0) / 1024);
    console.log(`  ${path}: ${kib} KiB in ${sizes.length} files, hydrated after ${ms} ms`);
    await context.close();
  }
} finally {
  await browser.close();
}

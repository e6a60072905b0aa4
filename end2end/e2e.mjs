// Browser tests: Playwright (playwright-core) driving Debian's Chromium against a fresh server.
// Env: E2E_BIN (ops-center binary), E2E_SITE (site dir), E2E_DATABASE_URL (optional, PostgreSQL).
// Prints "N passed, N failed" and exits non-zero on any failure.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { Socket, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHmac } from 'node:crypto';
import { chromium } from 'playwright-core';
import Provider from 'oidc-provider';

const BIN = process.env.E2E_BIN;
const SITE = process.env.E2E_SITE;
if (!BIN || !SITE) { console.error('set E2E_BIN and E2E_SITE'); process.exit(2); }
const ADMIN = { email: 'admin@example.com', name: 'Ada Admin', password: 'correct horse battery staple' };
const backend = process.env.E2E_DATABASE_URL ? 'postgres' : 'sqlite';

let passed = 0, failed = 0;
async function step(name, fn) {
  const t0 = Date.now();
  try { await fn(); passed++; console.log(`ok   ${name} (${Date.now() - t0} ms)`); }
  catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e.message.split('\n').slice(0, 6).join('\n     ')}`);
    if (pageErrors.length) console.log(`     browser errors:\n     ${pageErrors.join('\n     ')}`);
    throw e;
  }
}
function expect(cond, message) { if (!cond) throw new Error(message); }

// Follows a sidebar link and waits until the page is interactive: when the page before was
// not hydrated yet the link is a full load, and typing before hydration would be lost.
async function navTo(page, label) {
  await page.click(`nav >> text=${label}`);
  await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
}

// RFC 6238 TOTP (SHA-1, 30 s, 6 digits) for a base32 secret, `offset` steps from now.
function totp(secret, offset = 0) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/=+$/, '')) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map(b => parseInt(b, 2)));
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30) + offset));
  const h = createHmac('sha1', key).update(msg).digest();
  const o = h[19] & 15;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, '0');
}

function startServer() {
  const dataDir = mkdtempSync(join(tmpdir(), 'ops-e2e-'));
  // Per-minute limits shared through the test Redis, as a replica would run.
  const env = { ...process.env, OPS_SITE_DIR: SITE, OPS_LOG: 'warn', OPS_REDIS_URL: process.env.OPS_TEST_REDIS_URL || 'redis://127.0.0.1:6379' };
  if (process.env.E2E_DATABASE_URL) env.OPS_DATABASE_URL = process.env.E2E_DATABASE_URL;
  const child = spawn(BIN, ['serve', '--bind', '127.0.0.1:0', '--data-dir', dataDir], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stderr.on('data', d => process.stderr.write(`[server] ${d}`));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 30000);
    child.on('exit', code => reject(new Error(`server exited with ${code}:\n${out}`)));
    child.stdout.on('data', d => {
      out += d;
      const base = out.match(/running at (http:\/\/127\.0\.0\.1:\d+)/);
      const setup = out.match(/(http:\/\/\S+\/setup\?token=[0-9a-f]+)/);
      if (base && setup) { clearTimeout(timer); resolve({ child, dataDir, base: base[1], setupLink: setup[1] }); }
    });
  });
}

function freePort() {
  return new Promise(resolve => {
    const s = createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

// A real OpenID provider (npm oidc-provider, dev interactions: any login name signs in).
// Logins starting with "admin" are in the "admins" group, others in "users".
async function startIdp(appBase) {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: 'ops-e2e', client_secret: 'ops-e2e-secret',
      redirect_uris: [`${appBase}/auth/callback`], post_logout_redirect_uris: [`${appBase}/login`],
      grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic',
    }],
    pkce: { required: () => true },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'], groups: ['groups'] },
    scopes: ['openid', 'email', 'profile', 'groups'],
    async findAccount(ctx, sub) {
      return { accountId: sub, async claims() {
        return { sub, email: `${sub}@idp.test`, email_verified: true, name: sub, preferred_username: sub,
          groups: sub.startsWith('admin') ? ['admins'] : ['users'] };
      } };
    },
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  });
  const srv = await new Promise(resolve => { const s = provider.listen(port, '127.0.0.1', () => resolve(s)); });
  return { issuer, close: () => srv.close() };
}

// A test peer written in Python (peers/NAME.py PORT), started on a free port.
async function startPeer(script, what) {
  const port = await freePort();
  const child = spawn('python3', [new URL(`./peers/${script}`, import.meta.url).pathname, String(port)], { stdio: 'ignore' });
  for (let i = 0; i < 200; i++) {
    const up = await new Promise(resolve => {
      const c = new Socket().connect(port, '127.0.0.1', () => { c.destroy(); resolve(true); });
      c.on('error', () => resolve(false));
    });
    if (up) return { child, base: `http://127.0.0.1:${port}` };
    await new Promise(r => setTimeout(r, 50));
  }
  throw new Error(`${what} did not start`);
}

// The Stripe test server (PyPI localstripe with Checkout and the portal added): its fake
// Stripe.js draws the card field, its hosted page takes Checkout payments.
const startStripeFake = () => startPeer('stripe_fake.py', 'the Stripe test server (pip install localstripe)');

// An OpenAI-compatible upstream for the AI gateway pages (stdlib only).
const startLlmFake = () => startPeer('llm_fake.py', 'the LLM test upstream');

// A real SMTP sink (PyPI aiosmtpd, Maildir handler) for the password-reset test.
async function startSmtpSink() {
  const port = await freePort();
  const dir = join(mkdtempSync(join(tmpdir(), 'ops-e2e-mail-')), 'maildir'); // the handler creates it
  const child = spawn('python3', ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`, '-c', 'aiosmtpd.handlers.Mailbox', dir], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    const up = await new Promise(resolve => {
      const c = new Socket().connect(port, '127.0.0.1', () => { c.destroy(); resolve(true); });
      c.on('error', () => resolve(false));
    });
    if (up) break;
    await new Promise(r => setTimeout(r, 50));
  }
  const messages = () => existsSync(join(dir, 'new'))
    ? readdirSync(join(dir, 'new')).map(f => readFileSync(join(dir, 'new', f), 'utf8')) : [];
  return { port, child, messages };
}

const server = await startServer();
const smtp = await startSmtpSink();
const stripe = await startStripeFake();
const llm = await startLlmFake();
const idp = await startIdp(server.base);
console.log(`# ${backend}: server at ${server.base}`);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
});
const context = await browser.newContext();
const page = await context.newPage();
const pageErrors = [];
page.on('pageerror', e => pageErrors.push(e.message));
// A refused sign-in (401), an over-large deduction (402), a provider key the provider refuses
// and a model with an incomplete deployment (422) are answered so on purpose; Chromium logs
// those as failed resource loads.
const refusedOnPurpose = ['/api/ui/login', '/api/ui/deduct_credits', '/api/ui/redeem_code', '/api/ui/save_own_key', '/api/ui/save_llm_model'];
page.on('console', m => {
  if (m.type() === 'error' && !refusedOnPurpose.some(u => m.location().url.includes(u))) pageErrors.push(`${m.text()} (${m.location().url})`);
});
page.on('dialog', d => d.accept());
page.setDefaultTimeout(15000);
const api = (path, key) => fetch(server.base + path, { headers: key ? { Authorization: `Bearer ${key}` } : {} });

try {
  await step('signed-out visitors are sent to the login page', async () => {
    await page.goto(server.base + '/');
    await page.waitForURL(/\/login\?next=\/$/);
  });

  await step('setup link creates the first admin', async () => {
    await page.goto(server.setupLink);
    await page.fill('input[name=email]', ADMIN.email);
    await page.fill('input[name=display_name]', ADMIN.name);
    await page.fill('input[name=password]', ADMIN.password);
    await page.fill('input[name=confirm]', ADMIN.password);
    await page.click('[data-testid=setup-form] button[type=submit]');
    await page.waitForURL(server.base + '/');
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    expect((await page.textContent('[data-testid=current-user]')).includes(ADMIN.name), 'header shows the admin');
  });

  await step('the setup link works only once', async () => {
    const p2 = await context.browser().newPage();
    await p2.goto(server.setupLink);
    await p2.getByText('Setup is complete').waitFor();
    await p2.close();
  });

  await step('sign out', async () => {
    await page.click('[data-testid=sign-out]');
    await page.waitForURL(/\/login/);
    expect((await api('/api/v1/auth/me')).status === 401, 'no session after sign-out');
  });

  await step('sign in', async () => {
    await page.fill('input[name=email]', ADMIN.email);
    await page.fill('input[name=password]', ADMIN.password);
    await page.click('[data-testid=login-form] button[type=submit]');
    await page.waitForURL(server.base + '/');
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  });

  await step('dashboard chart updates from the live stream', async () => {
    await page.locator('[data-testid=live-status]').getByText('Live').waitFor();
    await page.locator('#cpu-chart canvas').first().waitFor();
    const samples = async () => Number(await page.getAttribute('#cpu-chart', 'data-samples'));
    const first = await samples();
    await page.waitForFunction(n => Number(document.querySelector('#cpu-chart').dataset.samples) >= n + 2, first, { timeout: 10000 });
    expect(await page.locator('#network-chart canvas').count() > 0, 'network chart drawn');
  });

  let secret;
  await step('create an API key and use it', async () => {
    await navTo(page, 'API keys');
    await page.waitForURL(/\/account\/api-keys$/);
    await page.getByTestId('no-keys').waitFor();
    await page.fill('[data-testid=create-key-form] input[name=name]', 'e2e key');
    await page.click('[data-testid=create-key-form] button[type=submit]');
    const box = page.getByTestId('new-key-secret');
    await box.waitFor();
    secret = await box.inputValue();
    expect(/^opc_[0-9a-f]{16}_[0-9a-f]{64}$/.test(secret), `secret shape: ${secret}`);
    await page.click('[data-testid=close-secret]');
    await page.getByTestId('key-table').getByText('e2e key').waitFor();
    expect(!(await page.content()).includes(secret.slice(21)), 'the secret is not shown again');
    const res = await api('/api/v1/auth/me', secret);
    expect(res.status === 200, `key works: ${res.status}`);
    expect((await res.json()).email === ADMIN.email, 'key acts as its owner');
  });

  await step('rotate it: a new secret, the old one stops', async () => {
    await page.click('[data-testid=rotate-key]');
    await page.selectOption('[data-testid=rotate-grace]', '0');
    await page.click('[data-testid=rotate-confirm]');
    const box = page.getByTestId('new-key-secret');
    await box.waitFor();
    const rotated = await box.inputValue();
    expect(rotated !== secret && rotated.startsWith('opc_'), 'a new secret');
    await page.click('[data-testid=close-secret]');
    expect((await api('/api/v1/auth/me', secret)).status === 401, 'old secret stopped');
    expect((await api('/api/v1/auth/me', rotated)).status === 200, 'new secret works');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=key-table] tbody tr').length === 1);
    secret = rotated;
  });

  await step('revoke it', async () => {
    await page.click('[data-testid=revoke-key]');
    await page.getByTestId('no-keys').waitFor();
    const res = await api('/api/v1/auth/me', secret);
    expect(res.status === 401, `revoked key refused: ${res.status}`);
    expect(res.headers.get('www-authenticate')?.startsWith('Bearer'), 'WWW-Authenticate: Bearer');
  });

  await step('admin sees users and the audit log', async () => {
    await navTo(page, 'Users');
    await page.getByTestId('user-table').getByText(ADMIN.email).waitFor();
    await navTo(page, 'Audit log');
    const table = page.getByTestId('audit-table');
    await table.getByText('api_key.revoke').waitFor();
    await page.selectOption('[data-testid=audit-action]', 'auth.login');
    await page.click('[data-testid=audit-apply]');
    await page.waitForFunction(() => !document.querySelector('[data-testid=audit-table]')?.textContent.includes('api_key.create'));
    await table.getByText('auth.login').first().waitFor();
    const total = Number(await page.getByTestId('audit-total').textContent());
    expect(total >= 1, `figures follow the filter: ${total}`);
    await page.getByTestId('audit-per-day').locator('canvas').waitFor();
    const csv = await page.getAttribute('[data-testid=audit-export-csv]', 'href');
    expect(csv.includes('action=auth.login'), `export keeps the filter: ${csv}`);
    await page.click('[data-testid=audit-verify]');
    await page.getByTestId('audit-verify-result').getByText('The log is intact').waitFor();
  });

  await step('credits: an administrator grants and deducts; the balance and history follow', async () => {
    await navTo(page, 'Users');
    await page.getByTestId('user-table').locator('tr', { hasText: ADMIN.email }).getByRole('link').first().click();
    await page.waitForURL(/\/admin\/users\/[0-9a-f-]+$/);
    await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
    await page.getByTestId('credits-empty').waitFor();
    await page.fill('[data-testid=credit-amount]', '25');
    await page.fill('[data-testid=credit-reason]', 'welcome credits');
    await page.click('[data-testid=credit-submit]');
    await page.getByTestId('credit-moved').waitFor();
    await page.getByTestId('credit-total').getByText('$25.00').waitFor();
    await page.selectOption('[data-testid=credit-direction]', 'deduct');
    await page.fill('[data-testid=credit-amount]', '5.5');
    await page.fill('[data-testid=credit-reason]', 'correction');
    await page.click('[data-testid=credit-submit]');
    await page.getByTestId('credit-total').getByText('$19.50').waitFor();
    await page.fill('[data-testid=credit-amount]', '100');
    await page.fill('[data-testid=credit-reason]', 'too much');
    await page.click('[data-testid=credit-submit]');
    await page.getByText('not enough credits').waitFor();
    await page.getByTestId('credit-total').getByText('$19.50').waitFor();
    await navTo(page, 'Credits');
    await page.waitForURL(/\/account\/credits$/);
    await page.getByTestId('credit-granted').getByText('$19.50').waitFor();
    const rows = page.getByTestId('credit-history').locator('tbody tr');
    expect(await rows.count() === 2, 'a grant and a deduction');
    expect((await rows.first().getAttribute('data-kind')) === 'deduct', 'newest first');
    await navTo(page, 'Settings');
    await page.getByTestId('credit-accounts').getByText(ADMIN.email).waitFor();
    await page.click('[data-testid=ledger-check]');
    await page.getByTestId('ledger-result').getByText('Consistent').waitFor();
  });

  await step('plans: the administrator edits a plan; a trial, then an upgrade with its proration preview; usage and limits; invoices as PDF', async () => {
    await navTo(page, 'Settings');
    await page.getByTestId('stripe-status').getByText('Not set up').waitFor();
    await page.fill('[data-testid=billing-name]', 'E2E Cloud Ltd');
    await page.fill('[data-testid=billing-tax-name]', 'VAT');
    await page.fill('[data-testid=billing-tax-rate]', '20');
    await page.fill('[data-testid=billing-prefix]', 'E2E');
    await page.click('[data-testid=billing-save]');
    await page.getByTestId('billing-saved').waitFor();
    await navTo(page, 'Plans');
    await page.click('[data-testid=plan-edit-starter]');
    await page.fill('[data-testid=plan-monthly]', '20');
    await page.click('[data-testid=plan-save]');
    await page.getByTestId('plan-row-starter').getByText('$20.00').waitFor();
    await navTo(page, 'Plan');
    await page.locator('[data-testid=current-plan][data-plan=free]').waitFor();
    await page.getByTestId('plan-starter').getByText('$20.00 a month').waitFor();
    await page.click('[data-testid=choose-starter]');
    await page.locator('[data-testid=plan-preview][data-kind=trial]').waitFor();
    await page.click('[data-testid=preview-confirm]');
    await page.locator('[data-testid=current-plan][data-status=trialing]').waitFor();
    // Upgrading needs bought credits: the preview says so and will not confirm.
    await page.click('[data-testid=choose-professional]');
    await page.getByTestId('preview-short').waitFor();
    expect(await page.getByTestId('preview-confirm').isDisabled(), 'confirm waits for credits');
    await navTo(page, 'Users');
    await page.getByTestId('user-table').locator('tr', { hasText: ADMIN.email }).getByRole('link').first().click();
    await page.waitForURL(/\/admin\/users\/[0-9a-f-]+$/);
    await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
    await page.fill('[data-testid=credit-amount]', '600');
    await page.selectOption('[data-testid=credit-bucket]', 'paid');
    await page.fill('[data-testid=credit-reason]', 'card payment');
    await page.click('[data-testid=credit-submit]');
    await page.getByTestId('credit-paid').getByText('$600.00').waitFor();
    await navTo(page, 'Plan');
    await page.click('[data-testid=choose-professional]');
    await page.locator('[data-testid=plan-preview][data-kind=upgrade]').waitFor();
    await page.getByTestId('preview-total').getByText('$49.00').waitFor();
    await page.click('[data-testid=preview-confirm]');
    await page.locator('[data-testid=current-plan][data-plan=professional][data-status=active]').waitFor();
    // Monthly to yearly: the unused month is credited against the year.
    await page.click('[data-testid=interval-year]');
    await page.click('[data-testid=choose-professional]');
    const preview = page.locator('[data-testid=plan-preview][data-kind=upgrade]');
    await preview.getByText('Unused time on Professional').waitFor();
    const total = await page.getByTestId('preview-total').innerText();
    const dollars = Number(total.replace(/[^0-9.]/g, ''));
    expect(dollars > 440 && dollars < 442, `the year less the unused month: ${total}`);
    await page.click('[data-testid=preview-confirm]');
    await page.getByTestId('current-plan').getByText('$490.00 a year').waitFor();
    // The history reloads after the switch: wait for the new row rather than read it mid-reload.
    const latest = () => [...document.querySelectorAll('[data-testid=plan-history] tbody tr')].slice(0, 3).map(r => r.dataset.kind).join();
    const settled = await page.waitForFunction(`(${latest})() === 'upgrade,upgrade,trial_started'`, null, { timeout: 10000 }).then(() => true, () => false);
    expect(settled, `history: ${await page.evaluate(latest)}`);
    await navTo(page, 'Credits');
    const paidText = await page.getByTestId('credit-paid').innerText();
    const paid = Number(paidText.replace(/[^0-9.]/g, ''));
    expect(Math.abs(paid - (551 - dollars)) < 0.01, `paid what the preview said: ${paidText} after ${total}`);
    // Two invoices (the month, then the year); the PDF opens and says what it should.
    await navTo(page, 'Invoices');
    await page.getByTestId('invoice-row').nth(1).waitFor();
    expect(await page.getByTestId('invoice-row').count() === 2, 'an invoice per charge');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('invoice-row').first().getByTestId('invoice-pdf').click(),
    ]);
    const pdf = readFileSync(await download.path()).toString('latin1');
    expect(pdf.startsWith('%PDF-1.4'), 'a PDF');
    const year = new Date().getUTCFullYear();
    for (const want of [`(E2E-${year}-000002) Tj`, '(E2E Cloud Ltd) Tj', '(VAT 20.00 % \\(included\\)) Tj', '(Professional, billed yearly']) {
      expect(pdf.includes(want), `the PDF says ${want}`);
    }
    await navTo(page, 'Usage');
    await page.getByTestId('usage-resets').getByText(/Resets in \d+ days/).waitFor();
    await page.getByTestId('limit-requests').getByText('0 of 250000').waitFor();
    await page.getByTestId('usage-empty').waitFor();
    await page.getByTestId('usage-requests-chart').locator('canvas').waitFor();
    // The console: the subscription among all, its detail and an action; revenue figures.
    await navTo(page, 'Subscriptions');
    await page.getByTestId('subs-table').locator('tr', { hasText: ADMIN.email }).getByRole('link').click();
    await page.waitForURL(/\/admin\/subscriptions\/[0-9a-f-]+$/);
    await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
    await page.locator('[data-testid=sub-detail][data-status=active]').waitFor();
    await page.fill('[data-testid=sub-reason]', 'support ticket');
    await page.click('[data-testid=sub-reset]');
    await page.locator('[data-testid=plan-history] tr[data-kind=usage_reset]').waitFor();
    await page.fill('[data-testid=refund-amount]', '1');
    await page.fill('[data-testid=refund-reason]', 'goodwill');
    await page.click('[data-testid=refund-submit]');
    await page.getByTestId('refund-done').getByText(`Credit note E2ECN-${new Date().getUTCFullYear()}-000001`).waitFor();
    await navTo(page, 'Revenue');
    await page.getByTestId('revenue-mrr').getByText('$40.833333').waitFor();
    await page.getByTestId('revenue-chart').locator('canvas').waitFor();
  });

  await step('codes: the administrator makes credit codes, shown once; one is checked and redeemed', async () => {
    await navTo(page, 'Codes and coupons');
    await page.fill('[data-testid=codes-name]', 'Launch gift');
    await page.fill('[data-testid=codes-count]', '2');
    await page.fill('[data-testid=codes-amount]', '7');
    await page.click('[data-testid=codes-submit]');
    const codes = (await page.getByTestId('codes-list').innerText()).trim().split('\n');
    expect(codes.length === 2 && /^[A-Z2-9]{4}(-[A-Z2-9]{4}){3}$/.test(codes[0]), `codes: ${codes}`);
    expect((await page.getByTestId('codes-download').getAttribute('href')).startsWith('data:text/csv'), 'a CSV download');
    await page.getByTestId('batch-Launch gift').waitFor();
    await navTo(page, 'Credits');
    await page.getByTestId('payments-unavailable').waitFor();
    await page.fill('[data-testid=redeem-code]', codes[0].toLowerCase());
    await page.click('[data-testid=redeem-check]');
    await page.getByTestId('redeem-gives').getByText('Launch gift: $7.00 of credits').waitFor();
    await page.click('[data-testid=redeem-submit]');
    await page.getByTestId('redeem-done').waitFor();
    await page.locator('[data-testid=credit-history] tbody tr[data-kind=redeem]').waitFor();
    await page.fill('[data-testid=redeem-code]', codes[1]);
    await page.click('[data-testid=redeem-submit]');
    await page.getByText('redeemed a code of this batch already').waitFor();
    await navTo(page, 'Codes and coupons');
    await page.getByTestId('batch-Launch gift').getByTestId('batch-redemptions').getByText('1').waitFor();
  });

  await step('cards and credit packs: Stripe connected; a card saved through Stripe.js; a pack bought through Checkout, the balance follows; a plan paid by card', async () => {
    const secret = 'whsec_e2e_0123456789';
    await navTo(page, 'Settings');
    await page.fill('[data-testid=stripe-publishable]', 'pk_test_e2e_0123456789');
    await page.fill('[data-testid=stripe-secret]', 'sk_test_e2e_0123456789');
    await page.fill('[data-testid=stripe-webhook]', secret);
    await page.fill('[data-testid=stripe-base]', stripe.base);
    await page.click('[data-testid=stripe-save]');
    await page.getByTestId('stripe-status').getByText('Payments can be taken').waitFor();
    const hook = await fetch(`${stripe.base}/_config/webhooks/ops`, { method: 'POST',
      body: new URLSearchParams({ url: `${server.base}/api/v1/webhooks/stripe`, secret }) });
    expect(hook.ok, 'webhooks pointed at the server');

    await navTo(page, 'Payment methods');
    await page.getByTestId('cards-empty').waitFor();
    await page.click('[data-testid=card-add]');
    const field = page.getByTestId('card-field');
    await field.locator('input[placeholder=number]').fill('4242424242424242');
    await field.locator('input[placeholder=exp_month]').fill('12');
    await field.locator('input[placeholder=exp_year]').fill('31');
    await field.locator('input[placeholder=cvc]').fill('123');
    await field.locator('input[placeholder=postal_code]').fill('10115');
    await page.click('[data-testid=card-save]');
    const row = page.locator('[data-testid=card-row][data-last4="4242"]');
    await row.getByTestId('card-default').waitFor();
    expect((await row.innerText()).includes('12/2031'), 'the expiry is shown');

    await navTo(page, 'Credits');
    const paid = async () => (await page.getByTestId('credit-paid').innerText()).trim();
    const before = await paid();
    await page.getByTestId('pack-pack-10').getByTestId('pack-buy').click();
    await page.waitForURL(u => u.toString().startsWith(`${stripe.base}/checkout/pay/`));
    await page.getByText('Pay USD 10.00').waitFor();
    await page.fill('#cardNumber', '4242 4242 4242 4242');
    await page.fill('#cardExpiry', '12 / 31');
    await page.fill('#cardCvc', '123');
    await page.fill('#billingName', 'Ada Admin');
    await page.click('.SubmitButton');
    await page.waitForURL(u => u.toString().startsWith(`${server.base}/account/credits?checkout=cs_`));
    await page.getByTestId('checkout-outcome').getByText('Payment received: $10.00 of credits added.').waitFor();
    const after = await paid();
    const dollars = t => Number(t.replace(/[$,]/g, ''));
    expect(Math.round((dollars(after) - dollars(before)) * 100) === 1000, `paid credits ${before} → ${after}`);
    await page.locator('[data-testid=credit-history] tbody tr[data-kind=purchase]').first().waitFor();

    // A plan change bought credits do not cover: paid by card from the preview.
    await navTo(page, 'Plan');
    await page.click('[data-testid=interval-year]');
    await page.click('[data-testid=choose-enterprise]');
    await page.getByTestId('preview-short').waitFor();
    await page.click('[data-testid=preview-pay-card]');
    await page.waitForURL(u => u.toString().startsWith(`${stripe.base}/checkout/pay/`));
    await page.fill('#cardNumber', '4242 4242 4242 4242');
    await page.fill('#cardExpiry', '12 / 31');
    await page.fill('#cardCvc', '123');
    await page.click('.SubmitButton');
    await page.waitForURL(u => u.toString().startsWith(`${server.base}/account/plan?checkout=cs_`));
    await page.getByTestId('checkout-outcome').getByText('Payment received: you are on the enterprise plan.').waitFor();
    await page.locator('[data-testid=current-plan][data-plan=enterprise][data-status=active]').waitFor();
  });

  await step('admin creates, finds, suspends and deletes a user', async () => {
    await navTo(page, 'Users');
    await page.getByTestId('signups-per-day').locator('canvas').waitFor();
    await page.click('[data-testid=new-user]');
    await page.fill('[data-testid=new-user-email]', 'grace@example.com');
    await page.fill('[data-testid=new-user-name]', 'Grace Hopper');
    await page.selectOption('[data-testid=new-user-role]', 'developer');
    await page.fill('[data-testid=new-user-password]', 'compilers are friends');
    await page.click('[data-testid=create-user]');
    await page.getByTestId('user-created').waitFor();
    await page.fill('[data-testid=users-search]', 'grace');
    await page.click('[data-testid=users-apply]');
    await page.getByTestId('users-total').getByText('1 users').waitFor();
    await page.getByTestId('user-table').getByText('Grace Hopper').click();
    await page.waitForURL(/\/admin\/users\/[0-9a-f-]+$/);
    await page.fill('[data-testid=impersonate-reason]', 'checking what Grace sees');
    await page.click('[data-testid=impersonate]');
    const banner = page.getByTestId('impersonation-banner');
    await banner.waitFor();
    expect((await banner.textContent()).includes('acting as grace@example.com'), 'banner names the user');
    expect(await page.locator('nav >> text=Users').count() === 0, 'with the user\'s rights: no admin links');
    await navTo(page, 'Profile');
    await page.waitForURL(/\/account\/profile$/);
    await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
    await banner.waitFor();
    await page.click('[data-testid=stop-impersonation]');
    await page.waitForURL(/\/admin\/users\/[0-9a-f-]+$/);
    await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
    await page.getByTestId('user-detail').waitFor();
    expect(await banner.count() === 0, 'banner gone after stopping');
    await page.click('[data-testid=user-suspend]');
    await page.getByTestId('user-status').getByText('suspended').waitFor();
    await page.click('text=← All users');
    await page.selectOption('[data-testid=users-status]', 'suspended');
    await page.click('[data-testid=users-apply]');
    await page.getByTestId('user-table').getByText('grace@example.com').waitFor();
    await page.check('[data-testid=select-user]');
    await page.click('[data-testid=bulk-delete]');
    await page.getByTestId('bulk-result').getByText('1 done').waitFor();
    await page.getByTestId('users-empty').waitFor();
  });

  await step('admin imports users from CSV after a dry run', async () => {
    await page.goto(server.base + '/admin/users');
    await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
    const csv = 'email,display_name,role\nlin@example.com,Lin,developer\nmo@example.com,Mo,viewer\nbad-email,Nope,viewer\n';
    await page.setInputFiles('[data-testid=import-file]', { name: 'users.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByTestId('import-plan').getByText('2 to create').waitFor();
    expect(await page.locator('[data-testid=import-rows] tr[data-action=error]').count() === 1, 'the bad row is shown');
    await page.click('[data-testid=import-run]');
    await page.getByTestId('import-done').getByText('2 created').waitFor();
    expect(await page.getAttribute('[data-testid=import-progress]', 'data-status') === 'done', 'progress reached done');
    const href = await page.getAttribute('[data-testid=import-report]', 'href');
    const res = await page.request.get(server.base + href);
    expect(res.status() === 200 && (await res.text()).includes('bad-email'), 'report downloads');
    await page.getByTestId('user-table').getByText('lin@example.com').waitFor();
  });

  await step('sign out everywhere else ends a second browser', async () => {
    const other = await browser.newContext();
    const page2 = await other.newPage();
    await page2.goto(server.base + '/login');
    await page2.fill('input[name=email]', ADMIN.email);
    await page2.fill('input[name=password]', ADMIN.password);
    await page2.click('[data-testid=login-form] button[type=submit]');
    await page2.waitForURL(server.base + '/');
    await navTo(page, 'Security');
    const table = page.getByTestId('session-table');
    await table.locator('tr[data-current=true]').getByText('this browser').waitFor();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=session-table] tbody tr').length === 2);
    await page.click('[data-testid=end-other-sessions]');
    await page.getByTestId('sessions-ended').getByText('Signed out of 1 other session').waitFor();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=session-table] tbody tr').length === 1);
    await page2.goto(server.base + '/account/profile');
    await page2.waitForURL(/\/login/);
    await other.close();
  });

  await step('edit the profile', async () => {
    await navTo(page, 'Profile');
    await page.fill('[data-testid=profile-name]', 'Ada Lovelace');
    await page.fill('[data-testid=profile-bio]', 'Runs the platform.');
    await page.selectOption('[data-testid=profile-locale]', 'en-GB');
    await page.fill('[data-testid=profile-timezone]', 'Europe/London');
    await page.click('[data-testid=profile-save]');
    await page.getByTestId('profile-saved').waitFor();
    await page.reload();
    expect(await page.inputValue('[data-testid=profile-name]') === 'Ada Lovelace', 'name kept after reload');
    expect(await page.inputValue('[data-testid=profile-timezone]') === 'Europe/London', 'time zone kept');
    await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');
    await page.setInputFiles('[data-testid=avatar-file]', { name: 'me.png', mimeType: 'image/png', buffer: png });
    const img = page.getByTestId('avatar-img');
    await img.waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid=avatar-img]')?.naturalWidth === 256);
  });

  await step('change the password with the rules shown as you type', async () => {
    await navTo(page, 'Security');
    await page.fill('[data-testid=current-password]', ADMIN.password);
    await page.fill('[data-testid=new-password]', 'password123');
    await page.locator('[data-testid=password-rules] li[data-rule=not_common]:not(.ok)').waitFor();
    expect(await page.isDisabled('[data-testid=password-save]'), 'weak password cannot be sent');
    await page.fill('[data-testid=new-password]', ADMIN.password);
    await page.locator('[data-testid=password-rules] li[data-rule=not_current]:not(.ok)').waitFor();
    const next = 'a new and rather long passphrase';
    await page.fill('[data-testid=new-password]', next);
    await page.fill('[data-testid=confirm-password]', next);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=password-rules] li.ok').length === 4);
    await page.click('[data-testid=password-save]');
    await page.getByTestId('password-changed').waitFor();
    ADMIN.password = next;
    const res = await fetch(server.base + '/api/v1/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: ADMIN.email, password: next }) });
    expect(res.status === 200, `new password signs in: ${res.status}`);
  });

  await step('the password change is in the notification inbox; reading clears the count', async () => {
    await page.click('[data-testid=inbox-bell]');
    await page.waitForURL(/\/account\/inbox$/);
    await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
    await page.getByTestId('inbox').getByText('Your password was changed').first().waitFor();
    await page.getByTestId('inbox-unread').waitFor();
    await page.click('[data-testid=inbox-read-all]');
    await page.getByTestId('inbox-unread').waitFor({ state: 'detached' });
  });

  await step('notification preferences are saved; the webhook signing secret is shown once and renewed', async () => {
    await navTo(page, 'Notifications');
    await page.check('[data-testid=notify-product-email]');
    await page.fill('[data-testid=notify-webhook-url]', 'https://hooks.example.com/ops');
    await page.check('[data-testid=notify-billing-webhook]');
    await page.click('[data-testid=notifications-save]');
    await page.getByTestId('notifications-saved').waitFor();
    const first = await page.inputValue('[data-testid=webhook-secret-value]');
    expect(first.startsWith('whsec_'), `the new signing secret is shown once: ${first}`);
    expect((await page.textContent('[data-testid=webhook-secret-hint]')).endsWith(first.slice(-4)), 'hint');
    await page.reload();
    await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
    expect(await page.isChecked('[data-testid=notify-product-email]'), 'kept after reload');
    expect(await page.isChecked('[data-testid=notify-billing-webhook]'), 'webhook kept');
    expect(await page.locator('[data-testid=webhook-secret-value]').count() === 0, 'not shown again');
    await page.click('[data-testid=webhook-secret-new]');
    await page.locator('[data-testid=webhook-secret-value]').waitFor();
    const second = await page.inputValue('[data-testid=webhook-secret-value]');
    expect(second.startsWith('whsec_') && second !== first, 'a new signing secret');
  });

  await step('SSO: admin adds an OpenID provider; first sign-ins create accounts with roles from groups', async () => {
    await page.goto(server.base + '/admin/settings');
    await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
    await page.click('[data-testid=sso-add]');
    await page.selectOption('[data-testid=sso-kind]', 'oidc');
    await page.fill('[data-testid=sso-name]', 'Test IdP');
    await page.fill('[data-testid=sso-slug]', 'testidp');
    await page.fill('[data-testid=sso-issuer]', idp.issuer);
    await page.fill('[data-testid=sso-client-id]', 'ops-e2e');
    await page.fill('[data-testid=sso-secret]', 'ops-e2e-secret');
    await page.fill('[data-testid=sso-scopes]', 'openid email profile groups');
    await page.check('[data-testid=sso-create-users]');
    await page.fill('[data-testid=sso-role-claim]', 'groups');
    await page.fill('[data-testid=sso-mappings]', 'admins = admin');
    await page.click('[data-testid=sso-save]');
    const row = page.getByTestId('sso-row-testidp');
    await row.waitFor();
    await row.getByRole('button', { name: 'Check' }).click();
    await page.getByTestId('sso-check').getByText('signing keys loaded').waitFor();
    expect(!(await page.content()).includes('ops-e2e-secret'), 'the secret is not on the page');

    const signInAs = async (login) => {
      const visitor = await browser.newContext();
      const p = await visitor.newPage();
      await p.goto(server.base + '/login');
      await p.click('[data-testid=sso-testidp]');
      await p.waitForURL(new RegExp('^' + idp.issuer));
      await p.fill('input[name=login]', login);
      await p.fill('input[name=password]', 'any');
      await p.click('button[type=submit]');
      await p.getByRole('button', { name: 'Continue' }).click();
      await p.waitForURL(server.base + '/');
      await p.getByRole('heading', { name: 'Dashboard' }).waitFor();
      return { visitor, p, badge: (await p.textContent('[data-testid=current-user] .badge')).trim() };
    };
    const carol = await signInAs('admin-carol');
    expect(carol.badge === 'admin', `admins group gives admin, got ${carol.badge}`);
    const dave = await signInAs('dave');
    expect(dave.badge === 'viewer', `no mapping gives the default role, got ${dave.badge}`);
    await dave.visitor.close();
    // Signing out also ends the provider's session (RP-initiated logout), then back to sign-in.
    await carol.p.click('[data-testid=sign-out]');
    await carol.p.waitForURL(new RegExp('^' + idp.issuer + '/session/end'));
    await carol.p.click('button[name=logout]');
    await carol.p.waitForURL(server.base + '/login');
    await carol.visitor.close();
    // The administrator finds them by provider.
    await page.goto(server.base + '/admin/users?provider=testidp');
    await page.getByText('admin-carol@idp.test').waitFor();
  });

  await step('admin sets up e-mail and sends a test message', async () => {
    await navTo(page, 'Settings');
    await page.fill('[data-testid=smtp-host]', '127.0.0.1');
    await page.fill('[data-testid=smtp-port]', String(smtp.port));
    await page.selectOption('[data-testid=smtp-security]', 'none');
    await page.fill('[data-testid=smtp-password]', 'relay-password-9876');
    await page.fill('[data-testid=smtp-from]', 'ops@example.com');
    await page.click('[data-testid=smtp-save]');
    await page.getByTestId('smtp-saved').waitFor();
    await page.fill('[data-testid=smtp-test-to]', 'inbox@example.org');
    await page.click('[data-testid=smtp-test]');
    await page.getByTestId('smtp-test-sent').waitFor();
    expect(smtp.messages().some(m => m.includes('inbox@example.org')), 'the sink received the test message');
    await page.reload();
    expect((await page.getAttribute('[data-testid=smtp-password]', 'placeholder')).includes('9876'), 'masked hint only');
  });

  await step('password reset through the e-mailed link', async () => {
    await page.click('[data-testid=sign-out]');
    await page.waitForURL(/\/login/);
    await page.click('[data-testid=forgot-link]');
    await page.waitForURL(/\/forgot-password/);
    await page.fill('[data-testid=forgot-form] input[name=email]', ADMIN.email);
    await page.click('[data-testid=forgot-form] button[type=submit]');
    await page.getByTestId('reset-sent').waitFor();
    let mail;
    for (let i = 0; i < 100 && !mail; i++) {
      mail = smtp.messages().find(m => m.includes('Reset your Ops-Center password'));
      if (!mail) await new Promise(r => setTimeout(r, 100));
    }
    expect(mail, 'the reset mail arrived');
    const plain = mail.replace(/=\r?\n/g, '').replace(/=3D/g, '=');
    const link = plain.match(/http:\/\/\S+\/reset-password\?token=[0-9a-f]{64}/)[0];
    await page.goto(link);
    await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
    const next = 'a reset and rather long passphrase';
    await page.fill('[data-testid=reset-new]', next);
    await page.fill('[data-testid=reset-confirm]', next);
    await page.click('[data-testid=reset-save]');
    await page.getByTestId('reset-done').waitFor();
    ADMIN.password = next;
    await page.goto(server.base + '/login');
    await page.fill('input[name=email]', ADMIN.email);
    await page.fill('input[name=password]', ADMIN.password);
    await page.click('[data-testid=login-form] button[type=submit]');
    await page.waitForURL(server.base + '/');
  });

  await step('open registration: sign up, confirm by e-mail, sign in', async () => {
    await navTo(page, 'Settings');
    await page.selectOption('[data-testid=registration-mode]', 'open');
    await page.click('[data-testid=registration-save]');
    await page.getByTestId('registration-saved').waitFor();
    const visitor = await browser.newContext();
    const p2 = await visitor.newPage();
    await p2.goto(server.base + '/login');
    await p2.click('[data-testid=signup-link]');
    await p2.waitForURL(/\/register$/);
    await p2.locator('html[data-hydrated]').waitFor({ state: 'attached' });
    await p2.fill('[data-testid=signup-email]', 'newbie@example.com');
    await p2.fill('[data-testid=signup-name]', 'New Bie');
    await p2.fill('[data-testid=signup-password]', 'glad to be here today');
    await p2.click('[data-testid=signup-submit]');
    await p2.getByTestId('signup-sent').waitFor();
    let mail;
    for (let i = 0; i < 100 && !mail; i++) {
      mail = smtp.messages().find(m => m.includes('newbie@example.com') && m.includes('Confirm your Ops-Center account'));
      if (!mail) await new Promise(r => setTimeout(r, 100));
    }
    expect(mail, 'the confirmation mail arrived');
    const plain = mail.replace(/=\r?\n/g, '').replace(/=3D/g, '=');
    await p2.goto(plain.match(/http:\/\/\S+\/verify-email\?token=[0-9a-f]{64}/)[0]);
    await p2.getByTestId('verified').waitFor();
    await p2.goto(server.base + '/login');
    await p2.fill('input[name=email]', 'newbie@example.com');
    await p2.fill('input[name=password]', 'glad to be here today');
    await p2.click('[data-testid=login-form] button[type=submit]');
    await p2.waitForURL(server.base + '/');
    await visitor.close();
  });

  await step('an owner invites a new member by e-mail, who signs up from the link and joins', async () => {
    await page.goto(server.base + '/account/organizations');
    await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
    await page.fill('[data-testid=org-name]', 'E2E Team');
    await page.click('[data-testid=org-create]');
    await page.getByTestId('org-created').getByRole('link').click();
    await page.waitForURL(/\/org\/[0-9a-f-]+$/);
    await page.getByTestId('org-members').getByText(ADMIN.email).waitFor();
    await page.fill('[data-testid=invite-email]', 'mia@example.com');
    await page.selectOption('[data-testid=invite-role]', 'member');
    await page.click('[data-testid=invite-send]');
    await page.getByTestId('invite-sent').waitFor();
    await page.getByTestId('invites-pending').getByText('mia@example.com').waitFor();
    let mail;
    for (let i = 0; i < 100 && !mail; i++) {
      mail = smtp.messages().find(m => m.includes('mia@example.com'));
      if (!mail) await new Promise(r => setTimeout(r, 100));
    }
    expect(mail, 'the invitation was mailed');
    const plain = mail.replace(/=\r?\n/g, '').replace(/=3D/g, '=');
    const link = plain.match(/https?:\/\/\S+\/invite\/[0-9a-f]{64}/)[0];
    const visitor = await browser.newContext();
    const p2 = await visitor.newPage();
    await p2.goto(link);
    await p2.locator('html[data-hydrated]').waitFor({ state: 'attached' });
    await p2.getByText('Join E2E Team').first().waitFor();
    await p2.fill('[data-testid=invite-name]', 'Mia Member');
    await p2.fill('[data-testid=invite-password]', 'a fine long passphrase here');
    await p2.click('[data-testid=invite-create]');
    await p2.waitForURL(server.base + '/account/organizations');
    const row = p2.getByTestId('org-e2e-team');
    await row.getByText('Member').waitFor();
    await row.getByTestId('org-active').waitFor();
    await visitor.close();
    await page.reload();
    await page.getByTestId('org-members').getByText('mia@example.com').waitFor();
    expect(await page.getByTestId('invites-pending').count() === 0, 'no invitation pending any more');
  });

  await step('organisation scope: a key for the team, the user list and the audit log filtered by it, its credits and its plan', async () => {
    await page.goto(server.base + '/account/api-keys');
    await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
    await page.fill('[data-testid=create-key-form] input[name=name]', 'team key');
    await page.selectOption('[data-testid=key-org]', { label: 'E2E Team' });
    await page.click('[data-testid=create-key-form] button[type=submit]');
    await page.click('[data-testid=close-secret]');
    const row = page.getByTestId('key-table').locator('tr', { hasText: 'team key' });
    await row.getByTestId('key-org-name').getByText('E2E Team').waitFor();
    await navTo(page, 'Organisations >> nth=1');
    await page.locator('tr', { hasText: 'E2E Team' }).getByTitle('These members in the user list').click();
    await page.waitForURL(/\/admin\/users\?org=/);
    await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
    await page.getByTestId('users-total').getByText('2 users').waitFor();
    await page.getByTestId('user-table').getByText('mia@example.com').waitFor();
    await page.getByTestId('roles-card').locator('summary').click();
    await page.getByTestId('roles-table').getByText('users_manage').waitFor();
    await navTo(page, 'Audit log');
    await page.selectOption('[data-testid=audit-org]', { label: 'E2E Team' });
    await page.click('[data-testid=audit-apply]');
    await page.waitForFunction(() => !document.querySelector('[data-testid=audit-table]')?.textContent.includes('auth.login'));
    await page.getByTestId('audit-table').getByText('org.invite').first().waitFor();
    const csv = await page.getAttribute('[data-testid=audit-export-csv]', 'href');
    expect(csv.includes('org_id='), `export keeps the organisation: ${csv}`);
    await page.goto(server.base + '/account/organizations');
    await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
    await page.getByTestId('org-e2e-team').getByRole('link').first().click();
    await page.waitForURL(/\/org\/[0-9a-f-]+$/);
    await page.click('[data-testid=org-credits]');
    await page.waitForURL(/\/org\/[0-9a-f-]+\/credits$/);
    await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
    await page.getByTestId('credits-empty').waitFor();
    await page.fill('[data-testid=credit-amount]', '10');
    await page.selectOption('[data-testid=credit-bucket]', 'paid');
    await page.fill('[data-testid=credit-reason]', 'team budget');
    await page.click('[data-testid=credit-submit]');
    await page.getByTestId('credit-paid').getByText('$10.00').waitFor();
    // The team's own plan: on the free plan, and its bought credits pay for changes.
    await page.goBack();
    await page.waitForURL(/\/org\/[0-9a-f-]+$/);
    await page.click('[data-testid=org-plan]');
    await page.waitForURL(/\/org\/[0-9a-f-]+\/plan$/);
    await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
    await page.locator('[data-testid=current-plan][data-plan=free]').waitFor();
    await page.getByTestId('usage-limits').waitFor();
  });

  await step('two-factor enrolment by QR code, then sign-in with a code', async () => {
    await navTo(page, 'Security');
    await page.click('[data-testid=mfa-start]');
    await page.getByTestId('mfa-qr').locator('svg').waitFor();
    const secret = (await page.getByTestId('mfa-secret').textContent()).trim();
    await page.fill('[data-testid=mfa-enable-code]', totp(secret));
    await page.click('[data-testid=mfa-enable]');
    await page.getByTestId('recovery-codes').waitFor();
    expect(await page.locator('[data-testid=recovery-codes] li').count() === 10, 'ten recovery codes');
    await page.getByTestId('mfa-on').waitFor();
    await page.click('[data-testid=sign-out]');
    await page.waitForURL(/\/login/);
    await page.fill('input[name=email]', ADMIN.email);
    await page.fill('input[name=password]', ADMIN.password);
    await page.click('[data-testid=login-form] button[type=submit]');
    await page.waitForURL(/\/login\/mfa/);
    await page.fill('[data-testid=mfa-code]', totp(secret, 1));
    await page.click('[data-testid=mfa-form] button[type=submit]');
    await page.waitForURL(server.base + '/');
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  });

  await step('theme switch and phone-width layout', async () => {
    const before = await page.getAttribute('html', 'data-theme');
    await page.click('[data-testid=theme-toggle]');
    const after = await page.getAttribute('html', 'data-theme');
    expect(before !== after, `theme toggled (${before} -> ${after})`);
    await page.setViewportSize({ width: 390, height: 800 });
    await page.click('.nav-toggle');
    await page.locator('.sidebar >> text=Profile').click();
    await page.waitForURL(/\/account\/profile$/);
    await page.getByTestId('profile').getByText(ADMIN.email).waitFor();
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  await step('AI gateway: a provider added and tested, a model priced; a user brings their own key', async () => {
    await navTo(page, 'AI gateway');
    await page.getByTestId('providers-empty').waitFor();
    await page.fill('[data-testid=provider-name]', 'Stub');
    await page.selectOption('[data-testid=provider-kind]', 'openai');
    await page.fill('[data-testid=provider-url]', `${llm.base}/v1`);
    await page.fill('[data-testid=provider-key]', 'sk-platform-key-1234567890');
    await page.click('[data-testid=provider-add]');
    const row = page.getByTestId('provider-row').filter({ hasText: 'Stub' });
    await row.waitFor();
    expect((await row.textContent()).includes('••••7890'), 'the key shows only as a hint');
    await row.getByTestId('provider-test').click();
    const ok = page.getByTestId('provider-test-ok');
    await ok.waitFor();
    expect((await ok.textContent()).includes('up-small'), 'the test lists the provider\'s models');
    await page.fill('[data-testid=model-name]', 'gpt-e2e');
    await page.fill('[data-testid=model-input-price]', '1');
    await page.fill('[data-testid=model-output-price]', '2.5');
    await page.selectOption('[data-testid=model-provider]', { label: 'Stub' });
    await page.fill('[data-testid=model-upstream]', 'up-small');
    await page.click('[data-testid=model-add]');
    const model = page.getByTestId('model-row').filter({ hasText: 'gpt-e2e' });
    await model.waitFor();
    const text = await model.textContent();
    expect(text.includes('$2.5') && text.includes('Stub → up-small'), `priced and routed: ${text}`);
    await page.fill('[data-testid=byok-fee]', '10');
    await page.getByTestId('gateway-settings').getByRole('button', { name: 'Save settings' }).click();
    await page.getByTestId('gateway-settings-saved').waitFor();
    const sharing = page.locator('[data-testid=limits-sharing][data-shared=true]');
    await sharing.getByText(/answered in/).waitFor();
    expect((await page.getByTestId('provider-proxy').textContent()) === 'Direct', 'no proxy configured');

    await navTo(page, 'Provider keys');
    await page.getByTestId('own-keys-empty').waitFor();
    expect((await page.getByTestId('byok-fee-note').textContent()).includes('10%'), 'the fee is stated');
    await page.selectOption('[data-testid=own-key-provider]', 'openai');
    await page.fill('[data-testid=own-key-secret]', 'sk-bad-key-000000000000');
    await page.click('[data-testid=own-key-add]');
    await page.getByRole('alert').getByText('did not accept this key').waitFor();
    await page.fill('[data-testid=own-key-secret]', 'sk-user-own-key-1234567890');
    await page.click('[data-testid=own-key-add]');
    const mine = page.getByTestId('own-key-row');
    await mine.waitFor();
    expect((await mine.textContent()).includes('••••7890'), 'my key shows only as a hint');
    await mine.getByTestId('own-key-test').click();
    await page.getByTestId('own-key-test-ok').waitFor();

    // A request through the gateway with a platform API key is served by my own key, and the
    // console's request log explains its charge.
    const created = await page.request.post(server.base + '/api/v1/api-keys', { data: { name: 'gateway-e2e' }, headers: { origin: server.base } });
    const secret = (await created.json()).secret;
    await navTo(page, 'API keys');
    const keyRow = page.locator('[data-testid=key-table] tr', { hasText: 'gateway-e2e' });
    await keyRow.getByTestId('limit-key').click();
    await page.fill('[data-testid=limit-budget]', '5');
    await page.selectOption('[data-testid=limit-period]', 'day');
    await page.fill('[data-testid=limit-rpm]', '100');
    await page.click('[data-testid=limits-save]');
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=key-limits-summary]')]
      .some(td => td.textContent.includes('of $5.00 a day') && td.textContent.includes('100/min')));
    const res = await fetch(server.base + '/v1/chat/completions', { method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-e2e', max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] }) });
    expect(res.status === 200 && res.headers.get('x-ops-credential') === 'byok', `served by my key: ${res.status}`);
    await new Promise(r => setTimeout(r, 1500)); // the gateway writes its log every second
    await navTo(page, 'AI usage');
    const logRow = page.getByTestId('llm-log-row').first();
    await logRow.waitFor();
    await logRow.click();
    const explain = await page.getByTestId('llm-log-explain').first().textContent();
    expect(explain.includes('10 input tokens') && explain.includes('own key'), `explained: ${explain}`);
    await page.locator('#llm-requests-chart[data-samples="30"]').waitFor();
  });

  await step('AI gateway: the routing editor changes a model\'s routing and deployments; an organisation brings its own key', async () => {
    await navTo(page, 'AI gateway');
    await page.getByTestId('model-row').filter({ hasText: 'gpt-e2e' }).getByTestId('model-edit').click();
    const form = page.getByTestId('routing-form');
    await form.waitFor();
    expect(await form.getByTestId('routing-name').inputValue() === 'gpt-e2e', 'the editor is filled in');
    expect(await form.getByTestId('routing-output-price').inputValue() === '2.5', 'prices in dollars');
    await form.getByTestId('routing-mode').selectOption('latency');
    await form.getByTestId('routing-retries').fill('3');
    await form.getByTestId('deployment-row').first().getByTestId('deployment-weight').fill('3');
    await form.getByTestId('deployment-add').click();
    const added = form.getByTestId('deployment-row').nth(1);
    expect(await added.getByTestId('deployment-priority').inputValue() === '1', 'a new deployment goes in the next tier');
    await form.getByTestId('routing-save').click();
    await form.getByRole('alert').getByText('the provider\'s model name').waitFor(); // the server's check, shown as is
    await added.getByTestId('deployment-upstream').fill('up-large');
    await form.getByTestId('routing-save').click();
    await form.waitFor({ state: 'detached' });
    const model = page.getByTestId('model-row').filter({ hasText: 'gpt-e2e' });
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=model-row]')]
      .some(tr => tr.textContent.includes('latency, 3 retries')));
    const deps = await model.getByTestId('model-deployments').textContent();
    expect(deps.includes('0: Stub → up-small ×3') && deps.includes('1: Stub → up-large ×1'), `deployments: ${deps}`);

    // The owner of E2E Team manages its keys from the same page.
    await navTo(page, 'Provider keys');
    await page.selectOption('[data-testid=byok-owner]', { label: 'E2E Team' });
    await page.getByTestId('own-keys-empty').getByText('this organisation').waitFor();
    await page.selectOption('[data-testid=own-key-provider]', 'openai');
    await page.fill('[data-testid=own-key-secret]', 'sk-team-own-key-0000004321');
    await page.click('[data-testid=own-key-add]');
    const team = page.getByTestId('own-key-row').filter({ hasText: '••••4321' });
    await team.waitFor();
    await team.getByTestId('own-key-test').click();
    await page.getByTestId('own-key-test-ok').waitFor();
    await page.selectOption('[data-testid=byok-owner]', { label: 'Mine' });
    await page.getByTestId('own-key-row').filter({ hasText: '••••7890' }).waitFor();
    expect(await page.getByTestId('own-key-row').count() === 1, 'my keys are not the team\'s');
  });

  await step('wrong password shows a clear error', async () => {
    await page.click('[data-testid=sign-out]');
    await page.waitForURL(/\/login/);
    await page.fill('input[name=email]', ADMIN.email);
    await page.fill('input[name=password]', 'not the password');
    await page.click('[data-testid=login-form] button[type=submit]');
    await page.getByRole('alert').getByText('Wrong email or password').waitFor();
    expect(page.url().includes('/login'), 'still on the login page');
  });

  await step('no errors in the browser console', async () => {
    expect(pageErrors.length === 0, pageErrors.join('\n'));
  });
} catch (_) {
  await page.screenshot({ path: join(tmpdir(), `ops-e2e-failure-${backend}.png`) }).catch(() => {});
  console.log(`# screenshot: ${join(tmpdir(), `ops-e2e-failure-${backend}.png`)}`);
} finally {
  await browser.close();
  server.child.kill('SIGTERM');
  smtp.child.kill('SIGTERM');
  stripe.child.kill('SIGTERM');
  llm.child.kill('SIGTERM');
  idp.close();
  rmSync(server.dataDir, { recursive: true, force: true });
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);

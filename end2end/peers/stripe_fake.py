"""A Stripe test server for Ops-Center's tests: PyPI `localstripe` (customers, payment methods,
SetupIntents, PaymentIntents, refunds, events, signed webhooks, a fake Stripe.js), plus what it
lacks, written to Stripe's wire format: Checkout sessions (`/v1/checkout/sessions`, with a hosted
payment page), customer portal sessions (`/v1/billing_portal/sessions`, with a hosted page) and
`Idempotency-Key` replays.

    python3 stripe_fake.py PORT

Listens on 127.0.0.1 only. Webhooks: POST /_config/webhooks/{id} with url and secret (as
localstripe). Test cards: 4242 4242 4242 4242 pays; 4000 0000 0000 0341 is declined when charged.
"""

import html
import os
import sys
import time

from aiohttp import web

from localstripe import resources, server
from localstripe.errors import UserError
from localstripe.resources import (Customer, Event, PaymentIntent, PaymentMethod, SetupIntent,
                                   StripeObject, random_id, store)
from localstripe.server import api_create, api_retrieve, app, get_post_data, json_response
from localstripe.webhooks import schedule_webhook

# One process per test: keep the store in memory (localstripe pickles it to a shared /tmp file).
resources.Store.dump_to_disk = lambda self: None


def bad(message, param=None):
    body = {'message': message}
    if param:
        body['param'] = param
    return UserError(400, message, body)


class CheckoutSession(StripeObject):
    object = 'checkout.session'
    _id_prefix = 'cs_test_'
    _base = ''

    def __init__(self, mode=None, customer=None, success_url=None, cancel_url=None,
                 line_items=None, metadata=None, client_reference_id=None,
                 payment_method_types=None, currency=None, **kwargs):
        if kwargs:
            name = sorted(kwargs)[0]
            raise bad('Received unknown parameter: ' + name, name)
        if mode not in ('payment', 'setup'):
            raise bad('Invalid mode: must be one of payment, setup (subscription is not '
                      'supported by this test server)', 'mode')
        if not success_url:
            raise bad('Missing required param: success_url.', 'success_url')
        if customer is not None:
            Customer._api_retrieve(customer)
        amount, cur, items = 0, currency, []
        if mode == 'payment':
            if not isinstance(line_items, list) or not line_items:
                raise bad('Missing required param: line_items.', 'line_items')
            for i, item in enumerate(line_items):
                pd = item.get('price_data') if isinstance(item, dict) else None
                if not isinstance(pd, dict):
                    raise bad('Missing required param: line_items[%d][price_data].' % i,
                              'line_items[%d][price_data]' % i)
                try:
                    unit = int(pd.get('unit_amount'))
                    qty = int(item.get('quantity', 0))
                except (TypeError, ValueError):
                    raise bad('Invalid integer: line_items[%d][price_data][unit_amount]' % i)
                if unit < 50 or qty < 1:
                    raise bad('The Checkout Session\'s total amount due must add up to at least '
                              '$0.50 usd', 'line_items')
                name = (pd.get('product_data') or {}).get('name')
                if not name:
                    raise bad('Missing required param: line_items[%d][price_data][product_data]'
                              '[name].' % i)
                cur = pd.get('currency')
                amount += unit * qty
                items.append({'description': name, 'quantity': qty, 'amount_total': unit * qty})
        super().__init__()
        self.mode = mode
        self.customer = customer
        self.success_url = success_url
        self.cancel_url = cancel_url
        self.metadata = metadata or {}
        self.client_reference_id = client_reference_id
        self.amount_total = amount if mode == 'payment' else None
        self.currency = cur
        self.status = 'open'
        self.payment_status = 'unpaid' if mode == 'payment' else 'no_payment_required'
        self.payment_intent = None
        self.setup_intent = None
        self.expires_at = self.created + 24 * 3600
        self.url = '%s/checkout/pay/%s' % (CheckoutSession._base, self.id)
        self._items = items

    @classmethod
    def _api_expire(cls, id, **kwargs):
        obj = cls._api_retrieve(id)
        if obj.status != 'open':
            raise bad('Only Checkout Sessions with a status in ["open"] can be expired.')
        obj.status = 'expired'
        schedule_webhook(Event('checkout.session.expired', obj))
        return obj

    def _pay(self, number, exp, cvc):
        """Completes the session with this card, as Checkout's page does."""
        digits = ''.join(c for c in number if c.isdigit())
        month, _, year = exp.partition('/')
        pm = PaymentMethod(type='card', card={
            'number': digits, 'exp_month': month.strip(), 'exp_year': year.strip(),
            'cvc': cvc.strip()})
        if self.customer:
            PaymentMethod._api_attach(pm.id, customer=self.customer)
        if self.mode == 'payment':
            pi = PaymentIntent(amount=self.amount_total, currency=self.currency,
                               customer=self.customer, payment_method=pm.id,
                               metadata=dict(self.metadata))
            pi._confirm(on_failure_now=pi._report_failure)
            self.payment_intent = pi.id
            self.payment_status = 'paid'
        else:
            si = SetupIntent(customer=self.customer, metadata=dict(self.metadata))
            si._attach_pm(pm)
            self.setup_intent = si.id
        self.status = 'complete'
        schedule_webhook(Event('checkout.session.completed', self))


class PortalSession(StripeObject):
    object = 'billing_portal.session'
    _id_prefix = 'bps_'

    def __init__(self, customer=None, return_url=None, **kwargs):
        if kwargs:
            name = sorted(kwargs)[0]
            raise bad('Received unknown parameter: ' + name, name)
        if not customer:
            raise bad('Missing required param: customer.', 'customer')
        Customer._api_retrieve(customer)
        super().__init__()
        self.customer = customer
        self.return_url = return_url
        self.url = '%s/billing_portal/%s' % (CheckoutSession._base, self.id)


# Idempotency: a POST repeated with the same key gets the first answer (as Stripe does).
_replies = {}


@web.middleware
async def idempotency(request, handler):
    key = request.headers.get('Idempotency-Key')
    if request.method != 'POST' or not key or not request.path.startswith('/v1/'):
        return await handler(request)
    seen = _replies.get((request.path, key))
    if seen:
        return web.Response(status=seen[0], body=seen[1], content_type='application/json',
                            headers={'Idempotent-Replayed': 'true'})
    response = await handler(request)
    if response.status < 500 and hasattr(response, 'body'):
        _replies[(request.path, key)] = (response.status, response.body)
    return response


app.middlewares.append(idempotency)


def expire_route(request):
    return json_response(CheckoutSession._api_expire(request.match_info['id'])._export())


PAGE = """<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>{title}</title>
<style>body{{font:15px system-ui;max-width:420px;margin:40px auto}}label{{display:block;margin:10px 0}}
input{{width:100%;padding:8px}}.SubmitButton{{margin-top:14px;padding:10px;width:100%}}
.error{{color:#b00}}</style></head><body>{body}</body></html>"""


def pay_page(s, error=None):
    total = '%s %.2f' % ((s.currency or 'usd').upper(), (s.amount_total or 0) / 100)
    items = ''.join('<li>%s × %d</li>' % (html.escape(i['description']), i['quantity'])
                    for i in s._items)
    what = ('<h1>Pay %s</h1><ul>%s</ul>' % (total, items) if s.mode == 'payment'
            else '<h1>Save a card</h1>')
    err = '<p class="error" role="alert">%s</p>' % html.escape(error) if error else ''
    button = 'Pay' if s.mode == 'payment' else 'Save card'
    body = """%s%s<form method="post">
<label>Card number <input id="cardNumber" name="cardNumber" autocomplete="off"></label>
<label>Expiry (MM / YY) <input id="cardExpiry" name="cardExpiry"></label>
<label>CVC <input id="cardCvc" name="cardCvc"></label>
<label>Name on card <input id="billingName" name="billingName"></label>
<button class="SubmitButton" type="submit">%s</button></form>
<p><a href="%s">← Back</a></p>""" % (what, err, button, html.escape(s.cancel_url or '#'))
    return web.Response(text=PAGE.format(title='Checkout', body=body), content_type='text/html',
                        status=402 if error else 200)


async def pay_get(request):
    try:
        s = CheckoutSession._api_retrieve(request.match_info['id'])
    except UserError:
        raise web.HTTPNotFound(text='This Checkout session does not exist.')
    if s.status != 'open':
        return web.Response(text=PAGE.format(title='Checkout', body='<h1>This session is %s.'
                                             '</h1>' % s.status), content_type='text/html')
    return pay_page(s)


async def pay_post(request):
    try:
        s = CheckoutSession._api_retrieve(request.match_info['id'])
    except UserError:
        raise web.HTTPNotFound(text='This Checkout session does not exist.')
    if s.status != 'open':
        return pay_page(s, 'This session is %s.' % s.status)
    form = await request.post()
    exp = form.get('cardExpiry', '')
    if len(exp.split('/')) == 2 and len(exp.split('/')[1].strip()) == 2:
        exp = exp.split('/')[0] + '/20' + exp.split('/')[1].strip()
    try:
        s._pay(form.get('cardNumber', ''), exp, form.get('cardCvc', ''))
    except UserError as e:
        return pay_page(s, e.body['error'].get('message') or 'Your card was declined.')
    except (AssertionError, KeyError, ValueError):
        return pay_page(s, 'Your card number is incomplete or invalid.')
    raise web.HTTPSeeOther(s.success_url.replace('{CHECKOUT_SESSION_ID}', s.id))


async def portal_get(request):
    try:
        p = PortalSession._api_retrieve(request.match_info['id'])
    except UserError:
        raise web.HTTPNotFound(text='This portal session does not exist.')
    cards = [pm for key, pm in store.items() if key.startswith('payment_method:')
             and pm.customer == p.customer and pm.type == 'card']
    rows = ''.join('<li>%s •••• %s (%02d/%d)</li>' % (pm.card['brand'], pm.card['last4'],
                                                      pm.card['exp_month'], pm.card['exp_year'])
                   for pm in cards) or '<li>No saved cards.</li>'
    body = '<h1>Billing</h1><h2>Payment methods</h2><ul>%s</ul><p><a href="%s">Return</a></p>' % (
        rows, html.escape(p.return_url or '#'))
    return web.Response(text=PAGE.format(title='Billing portal', body=body),
                        content_type='text/html')


app.router.add_post('/v1/checkout/sessions', api_create(CheckoutSession, None))
app.router.add_get('/v1/checkout/sessions/{id}', api_retrieve(CheckoutSession, None))
app.router.add_post('/v1/checkout/sessions/{id}/expire', expire_route)
app.router.add_post('/v1/billing_portal/sessions', api_create(PortalSession, None))
app.router.add_get('/checkout/pay/{id}', pay_get)
app.router.add_post('/checkout/pay/{id}', pay_post)
app.router.add_get('/billing_portal/{id}', portal_get)


# localstripe's Stripe.js declares `class Element` at the top level of its script, which
# shadows the DOM's `Element` for every other script on the page (wasm-bindgen's glue among
# them); the real Stripe.js keeps to itself. Served wrapped in a function scope, like the real one.
_JS = None


def stripe_js():
    global _JS
    if _JS is None:
        path = os.path.join(os.path.dirname(resources.__file__), 'localstripe-v3.js')
        with open(path) as f:
            _JS = '(function () {\n' + f.read() + '\nwindow.Stripe = Stripe;\n})();\n'
    return web.Response(text=_JS, content_type='application/javascript')


# The hosted pages are reached by the browser, without an API key.
@web.middleware
async def auth(request, handler):
    if request.path == '/js.stripe.com/v3/':
        return stripe_js()
    if request.path.startswith(('/checkout/pay/', '/billing_portal/')):
        return await handler(request)
    return await server.auth_middleware(request, handler)


app.middlewares[app.middlewares.index(server.auth_middleware)] = auth


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8420
    CheckoutSession._base = 'http://127.0.0.1:%d' % port
    web.run_app(app, host='127.0.0.1', port=port, print=None, access_log=None)


if __name__ == '__main__':
    main()

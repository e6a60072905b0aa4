// Ops-Center's bridge to Stripe.js for saving a card: Stripe.js draws the card field and sends
// the number to Stripe itself (it never reaches Ops-Center), then confirms our SetupIntent.
// mount(jsUrl, publishableKey, elementId) loads Stripe.js once and mounts a card element;
// confirm(clientSecret) resolves with the SetupIntent's id or rejects with Stripe's message.
(function () {
  let stripe = null, card = null;
  function load(url) {
    if (window.Stripe) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = url;
      s.onload = () => resolve();
      s.onerror = () => reject(new Error('Stripe.js could not be loaded from ' + url));
      document.head.appendChild(s);
    });
  }
  window.opsCard = {
    mount: async (url, key, id) => {
      await load(url);
      if (card) { try { card.destroy(); } catch (e) { /* already gone */ } }
      stripe = window.Stripe(key);
      card = stripe.elements().create('card');
      card.mount('#' + id);
    },
    confirm: async (secret) => {
      if (!stripe || !card) throw new Error('the card field is not ready');
      const r = await stripe.confirmCardSetup(secret, { payment_method: { card } });
      if (r.error) throw new Error(r.error.message || 'the card could not be saved');
      return r.setupIntent.id;
    },
  };
})();

//! Calls to Stripe's API through async-stripe's client (TLS, retries, idempotency keys). Each
//! answer is read into a slim type holding only the fields we use, so a field Stripe adds or
//! renames elsewhere in an object cannot break us. Stripe's refusals come back as
//! [`BillingError::Refused`] (card declined: 402) or [`BillingError::Rejected`], naming
//! Stripe's message; an unreachable Stripe is a 502.

use std::collections::BTreeMap;
use std::time::Duration;

use miniserde::Deserialize;
use ops_types::ErrorCode;
use stripe::{Client, ClientBuilder, IdempotencyKey, RequestStrategy, StripeError};
use stripe_client_core::{RequestBuilder, StripeMethod};

use crate::BillingError;

/// A Stripe client for one secret key and API base.
pub struct Api {
    client: Client,
}

#[derive(Debug, Deserialize)]
pub struct Customer {
    pub id: String,
}

#[derive(Debug, Deserialize)]
pub struct Card {
    pub brand: Option<String>,
    pub last4: Option<String>,
    pub exp_month: Option<i64>,
    pub exp_year: Option<i64>,
}

#[derive(Debug, Deserialize)]
pub struct PaymentMethod {
    pub id: String,
    pub customer: Option<String>,
    pub card: Option<Card>,
}

#[derive(Debug, Deserialize)]
pub struct List<T> {
    pub data: Vec<T>,
}

#[derive(Debug, Deserialize)]
pub struct SetupIntent {
    pub id: String,
    pub client_secret: Option<String>,
    pub status: String,
    pub customer: Option<String>,
    pub payment_method: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct CheckoutSession {
    pub id: String,
    pub url: Option<String>,
    pub status: Option<String>,
    pub payment_status: Option<String>,
    pub amount_total: Option<i64>,
    pub currency: Option<String>,
    pub customer: Option<String>,
    pub payment_intent: Option<String>,
    pub metadata: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize)]
pub struct PortalSession {
    pub url: String,
}

#[derive(Debug, Deserialize)]
pub struct PaymentIntent {
    pub id: String,
    pub status: String,
}

#[derive(Debug, Deserialize)]
pub struct Refund {
    pub id: String,
    pub status: Option<String>,
}

/// Form fields, encoded the way Stripe reads them (`metadata[k]=v`, `list[0]=v`).
#[derive(Debug, Default)]
pub struct Form(Vec<(String, String)>);

impl Form {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn set(mut self, k: impl Into<String>, v: impl ToString) -> Self {
        self.0.push((k.into(), v.to_string()));
        self
    }
    fn encode(&self) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.0 {
            s.append_pair(k, v);
        }
        s.finish()
    }
}

fn from_stripe(e: StripeError) -> BillingError {
    match e {
        StripeError::Stripe(err, status) => {
            let message = err
                .message
                .clone()
                .unwrap_or_else(|| format!("Stripe refused the request ({status})"));
            if status == 402 {
                BillingError::Refused {
                    code: ErrorCode::PaymentFailed,
                    message: format!("the card was declined: {message}"),
                    limit: None,
                    retry_after: None,
                }
            } else if status == 404 {
                BillingError::Rejected(format!("Stripe does not know it: {message}"))
            } else {
                BillingError::Rejected(format!("Stripe: {message}"))
            }
        }
        StripeError::Timeout => BillingError::Upstream("Stripe did not answer in time".into()),
        other => BillingError::Upstream(format!("Stripe could not be reached: {other}")),
    }
}

impl Api {
    /// `base` without a trailing slash, e.g. `https://api.stripe.com`.
    pub fn new(secret: &str, base: &str) -> Result<Self, BillingError> {
        let client = ClientBuilder::new(secret)
            .url(format!("{}/", base.trim_end_matches('/')))
            .timeout(Duration::from_secs(20))
            .build()
            .map_err(from_stripe)?;
        Ok(Self { client })
    }

    async fn call<T: Deserialize>(
        &self,
        method: StripeMethod,
        path: &str,
        form: Option<Form>,
        key: Option<&str>,
    ) -> Result<T, BillingError> {
        let mut req = RequestBuilder::new(method, path);
        if let Some(f) = form {
            match method {
                StripeMethod::Get => req.query = Some(f.encode()),
                _ => req.body = Some(f.encode()),
            }
        }
        let mut req = req.customize::<T>();
        if let Some(k) = key {
            let k = IdempotencyKey::new(k)
                .map_err(|e| BillingError::invalid("idempotency_key", e.to_string()))?;
            req = req.request_strategy(RequestStrategy::Idempotent(k));
        }
        req.send(&self.client).await.map_err(from_stripe)
    }

    pub async fn create_customer(
        &self,
        email: &str,
        name: &str,
        owner: &str,
        key: &str,
    ) -> Result<Customer, BillingError> {
        let form = Form::new()
            .set("email", email)
            .set("name", name)
            .set("metadata[owner]", owner);
        self.call(StripeMethod::Post, "/customers", Some(form), Some(key))
            .await
    }

    pub async fn set_default_method(&self, customer: &str, pm: &str) -> Result<(), BillingError> {
        let form = Form::new().set("invoice_settings[default_payment_method]", pm);
        let _: Customer = self
            .call(
                StripeMethod::Post,
                &format!("/customers/{customer}"),
                Some(form),
                None,
            )
            .await?;
        Ok(())
    }

    pub async fn payment_methods(
        &self,
        customer: &str,
    ) -> Result<Vec<PaymentMethod>, BillingError> {
        let form = Form::new()
            .set("customer", customer)
            .set("type", "card")
            .set("limit", 100);
        let list: List<PaymentMethod> = self
            .call(StripeMethod::Get, "/payment_methods", Some(form), None)
            .await?;
        Ok(list.data)
    }

    pub async fn payment_method(&self, id: &str) -> Result<PaymentMethod, BillingError> {
        self.call(
            StripeMethod::Get,
            &format!("/payment_methods/{id}"),
            None,
            None,
        )
        .await
    }

    pub async fn attach(&self, pm: &str, customer: &str) -> Result<PaymentMethod, BillingError> {
        let form = Form::new().set("customer", customer);
        self.call(
            StripeMethod::Post,
            &format!("/payment_methods/{pm}/attach"),
            Some(form),
            None,
        )
        .await
    }

    pub async fn detach(&self, pm: &str) -> Result<PaymentMethod, BillingError> {
        self.call(
            StripeMethod::Post,
            &format!("/payment_methods/{pm}/detach"),
            Some(Form::new()),
            None,
        )
        .await
    }

    pub async fn create_setup_intent(&self, customer: &str) -> Result<SetupIntent, BillingError> {
        let form = Form::new()
            .set("customer", customer)
            .set("usage", "off_session")
            .set("payment_method_types[0]", "card");
        self.call(StripeMethod::Post, "/setup_intents", Some(form), None)
            .await
    }

    pub async fn setup_intent(&self, id: &str) -> Result<SetupIntent, BillingError> {
        self.call(
            StripeMethod::Get,
            &format!("/setup_intents/{id}"),
            None,
            None,
        )
        .await
    }

    pub async fn create_checkout(
        &self,
        form: Form,
        key: &str,
    ) -> Result<CheckoutSession, BillingError> {
        self.call(
            StripeMethod::Post,
            "/checkout/sessions",
            Some(form),
            Some(key),
        )
        .await
    }

    pub async fn checkout(&self, id: &str) -> Result<CheckoutSession, BillingError> {
        self.call(
            StripeMethod::Get,
            &format!("/checkout/sessions/{id}"),
            None,
            None,
        )
        .await
    }

    pub async fn create_portal(
        &self,
        customer: &str,
        return_url: &str,
    ) -> Result<PortalSession, BillingError> {
        let form = Form::new()
            .set("customer", customer)
            .set("return_url", return_url);
        self.call(
            StripeMethod::Post,
            "/billing_portal/sessions",
            Some(form),
            None,
        )
        .await
    }

    /// Charges the customer's card now, without them present (a renewal, an auto top-up).
    pub async fn charge(
        &self,
        customer: &str,
        pm: &str,
        cents: i64,
        currency: &str,
        description: &str,
        key: &str,
    ) -> Result<PaymentIntent, BillingError> {
        let form = Form::new()
            .set("amount", cents)
            .set("currency", currency.to_lowercase())
            .set("customer", customer)
            .set("payment_method", pm)
            .set("confirm", "true")
            .set("off_session", "true")
            .set("metadata[description]", description);
        self.call(
            StripeMethod::Post,
            "/payment_intents",
            Some(form),
            Some(key),
        )
        .await
    }

    pub async fn refund(
        &self,
        payment_intent: &str,
        cents: i64,
        key: &str,
    ) -> Result<Refund, BillingError> {
        let form = Form::new()
            .set("payment_intent", payment_intent)
            .set("amount", cents);
        self.call(StripeMethod::Post, "/refunds", Some(form), Some(key))
            .await
    }
}

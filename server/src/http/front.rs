//! The server's outermost service. A `POST` to a model endpoint (`/v1/chat/completions` and
//! the like) is answered here, before the router, on the serving thread the connection lives
//! on ([`crate::serve`]): per request the router clones its boxed service stack and the
//! application state and fills the request's extensions, a fifth of the allocations of a
//! proxied request. Everything else goes to the router on the main runtime, with the client's
//! address as [`ConnectInfo`].

use std::convert::Infallible;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::task::{Context, Poll};

use axum::Router;
use axum::extract::ConnectInfo;
use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::serve::{IncomingStream, Listener};
use futures::FutureExt;
use futures::future::{BoxFuture, Ready, ready};
use ops_gateway::{Gateway, GatewayError, proxy};
use tokio::runtime::Handle;
use tower::Service;

use super::openai;

/// Makes a [`Front`] for each connection.
#[derive(Clone)]
pub struct MakeFront {
    pub gateway: Gateway,
    pub router: Router,
    /// The main runtime, where the router's requests run.
    pub main: Handle,
}

impl<L> Service<IncomingStream<'_, L>> for MakeFront
where
    L: Listener<Addr = SocketAddr>,
{
    type Response = Front;
    type Error = Infallible;
    type Future = Ready<Result<Front, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, stream: IncomingStream<'_, L>) -> Self::Future {
        ready(Ok(Front {
            gateway: self.gateway.clone(),
            router: self.router.clone(),
            main: self.main.clone(),
            addr: *stream.remote_addr(),
        }))
    }
}

/// One connection's service.
#[derive(Clone)]
pub struct Front {
    gateway: Gateway,
    router: Router,
    main: Handle,
    addr: SocketAddr,
}

impl Service<Request> for Front {
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        if req.method() == Method::POST
            && let Some(endpoint) = openai::endpoint(req.uri().path())
        {
            let gw = self.gateway.clone();
            return Box::pin(async move {
                let (parts, body) = req.into_parts();
                let served = AssertUnwindSafe(openai::serve(&gw, endpoint, &parts.headers, body))
                    .catch_unwind()
                    .await;
                Ok(served.unwrap_or_else(|_| {
                    let e = GatewayError::Internal("the request failed unexpectedly".into());
                    proxy::render(&e, endpoint)
                }))
            });
        }
        req.extensions_mut().insert(ConnectInfo(self.addr));
        let routed = self.main.spawn(self.router.call(req));
        Box::pin(async move {
            Ok(match routed.await {
                Ok(Ok(res)) => res,
                Ok(Err(never)) => match never {},
                // The router's own layer answers a panic; this is the runtime shutting down.
                Err(_) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
            })
        })
    }
}

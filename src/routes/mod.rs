//! The route table, in one place.
//!
//! Fixed paths (`/healthz`, `/polizei/...`) and the citizen's `/{state}/...` patterns share
//! one URL space. Two things keep a fixed path from ever landing in the citizen handlers:
//! the citizen patterns are registered last, and the first segment of every fixed path is a
//! reserved word that `StateCode::parse` refuses (`state_code::RESERVED_PATH_WORDS`). The
//! tests below walk every fixed route and check both.

use actix_web::web;

pub mod about;
mod citizen;
pub mod health;
pub mod landing;
pub mod language;
pub mod staff;
pub mod status;
pub mod status_events;

/// A fixed route outside the staff table: method and path pattern.
#[derive(Debug, Clone, Copy)]
pub struct FixedRoute {
    pub method: &'static str,
    pub path: &'static str,
}

macro_rules! fixed_routes {
    ($( $method:ident $path:literal => $handler:path; )*) => {
        /// Every public fixed route, as registered.
        pub const FIXED_ROUTES: &[FixedRoute] = &[
            $( FixedRoute { method: stringify!($method), path: $path }, )*
        ];

        fn configure_fixed(cfg: &mut web::ServiceConfig) {
            $( cfg.route($path, web::$method().to($handler)); )*
        }
    };
}

fixed_routes! {
    get "/healthz" => health::healthz;
    get "/readyz" => health::readyz;
    get "/static/app.css" => crate::http::assets::stylesheet;
    get "/static/app.js" => crate::http::assets::script;
    get "/sprache/{code}" => language::switch;
    get "/" => landing::landing;
    get "/melden" => citizen::choose::choose;
    get "/melden/bundesland" => citizen::choose::find_state_form;
    post "/melden/bundesland" => citizen::choose::find_state;
    get "/barrierefreiheit" => about::accessibility;
    get "/datenschutz" => about::privacy;
    get "/leichte-sprache" => about::easy_language;
    get "/gebaerdensprache" => about::sign_language;
    post "/api/v1/status" => status_events::post_status;
    get "/status" => status::form;
    post "/status" => status::look_up;
    get "/status/vorgang" => status::case;
    post "/status/ende" => status::end;
    get "/status/nachreichen" => status::followup::form;
    post "/status/nachreichen" => status::followup::add;
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(configure_fixed)
        .configure(staff::configure)
        // Last: its `/{state}/...` patterns would shadow fixed paths registered after it.
        .configure(citizen::configure);
}

/// Method and path of every fixed route, public and staff.
pub fn all_fixed_routes() -> impl Iterator<Item = (&'static str, &'static str)> {
    FIXED_ROUTES
        .iter()
        .map(|r| (r.method, r.path))
        .chain(staff::ROUTES.iter().map(|r| (r.method, r.path)))
}

#[cfg(test)]
mod tests {
    use actix_web::{test as actix_test, App, HttpResponse};

    use super::*;
    use crate::state_code::{StateCode, RESERVED_PATH_WORDS};

    /// A concrete URL for a pattern (`{name}` becomes `v-name`) and the path parameters its
    /// own resource extracts from it.
    fn sample(path: &str) -> (String, Vec<(String, String)>) {
        let mut params = Vec::new();
        let url = path
            .split('/')
            .map(
                |seg| match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(name) => {
                        params.push((name.to_owned(), format!("v-{name}")));
                        format!("v-{name}")
                    }
                    None => seg.to_owned(),
                },
            )
            .collect::<Vec<_>>()
            .join("/");
        (url, params)
    }

    /// Each fixed route's URL reaches its own resource, never a citizen `/{state}/...` one.
    /// The router's choice shows in the path parameters it extracted: a citizen pattern
    /// would have taken the fixed words as `state`, `form`, ...
    #[actix_web::test]
    async fn every_fixed_route_reaches_its_own_handler() {
        let app = actix_test::init_service(
            App::new()
                .configure(configure)
                .default_service(web::to(HttpResponse::ImATeapot)),
        )
        .await;
        let mut checked = 0;
        for (method, path) in all_fixed_routes() {
            let (url, expected) = sample(path);
            let req = actix_test::TestRequest::default()
                .method(method.to_uppercase().parse().expect("HTTP method"))
                .uri(&url)
                .to_request();
            let res = actix_test::call_service(&app, req).await;
            assert_ne!(res.status(), 418, "{method} {path} reached no route at all");
            let mut extracted: Vec<(String, String)> = res
                .request()
                .match_info()
                .iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            extracted.sort();
            let mut expected = expected;
            expected.sort();
            assert_eq!(extracted, expected, "{method} {path} is routed elsewhere");
            checked += 1;
        }
        assert!(checked > 20, "only {checked} fixed routes found");
    }

    #[test]
    fn first_segments_of_fixed_routes_are_reserved_and_no_state_code() {
        for (_, path) in all_fixed_routes() {
            let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
            if first.is_empty() {
                continue; // the landing page "/" has no segment to shadow
            }
            assert!(
                RESERVED_PATH_WORDS.contains(&first),
                "add {first:?} (from {path}) to state_code::RESERVED_PATH_WORDS"
            );
            assert!(
                StateCode::parse(first).is_err(),
                "{first} parses as a state"
            );
        }
    }
}

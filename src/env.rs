//! Reading the client's settings from environment variables, and the proxy rules.
//!
//! Nothing here calls `std::env`: every function takes a lookup function, so the library
//! reads the process environment only through [`Client::from_env`](crate::Client::from_env).

use std::fmt;
use std::net::IpAddr;

use crate::auth::Auth;
use crate::diagnostics::ProxyRoute;
use crate::error::{Error, Quoted};

/// Proxy variables for https requests, in the order curl reads them.
const PROXY_VARS: [&str; 4] = ["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"];
/// Variables listing hosts to reach without the proxy, in the order curl reads them.
const NO_PROXY_VARS: [&str; 2] = ["no_proxy", "NO_PROXY"];

pub(crate) fn endpoint(var: &impl Fn(&str) -> Option<String>) -> Option<String> {
    if let Some(endpoint) = var("SEAM_ENDPOINT") {
        return Some(endpoint);
    }
    let endpoint = var("SEAM_API_URL")?;
    log::warn!("SEAM_API_URL is deprecated; set SEAM_ENDPOINT instead");
    Some(endpoint)
}

pub(crate) fn auth(var: &impl Fn(&str) -> Option<String>) -> Result<Option<Auth>, Error> {
    let api_key = var("SEAM_API_KEY");
    let token = var("SEAM_PERSONAL_ACCESS_TOKEN");
    let workspace_id = var("SEAM_WORKSPACE_ID");
    match (api_key, token) {
        (Some(_), Some(_)) => Err(Error::config(
            "both SEAM_API_KEY and SEAM_PERSONAL_ACCESS_TOKEN are set; unset one of them",
        )),
        (Some(key), None) => {
            if workspace_id.is_some() {
                log::warn!(
                    "the workspace id (SEAM_WORKSPACE_ID) is ignored with an API key, which names its workspace"
                );
            }
            Ok(Some(Auth::api_key(key)))
        }
        (None, Some(token)) => match workspace_id {
            Some(workspace_id) => Ok(Some(Auth::personal_access_token(token, workspace_id))),
            None => Err(Error::config(
                "SEAM_PERSONAL_ACCESS_TOKEN is set without SEAM_WORKSPACE_ID; \
                 set the id of the workspace the token acts in",
            )),
        },
        (None, None) => Ok(None),
    }
}

pub(crate) fn proxy(var: &impl Fn(&str) -> Option<String>) -> ProxySetting {
    let found = PROXY_VARS
        .iter()
        .find_map(|name| var(name).map(|url| (*name, url)));
    let Some((name, url)) = found else {
        return ProxySetting::Off;
    };
    let no_proxy = NO_PROXY_VARS
        .iter()
        .find_map(|name| var(name).map(|list| (*name, list)));
    ProxySetting::Url {
        url,
        origin: name.to_owned(),
        no_proxy,
    }
}

/// The proxy choice before it is checked against the endpoint.
#[derive(Clone)]
pub(crate) enum ProxySetting {
    /// Neither set nor looked up yet.
    Unset,
    /// No proxy, by choice or because no variable is set.
    Off,
    /// A proxy URL, where it came from, and the hosts that bypass it with their variable.
    Url {
        url: String,
        origin: String,
        no_proxy: Option<(&'static str, String)>,
    },
}

impl fmt::Debug for ProxySetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProxySetting::Unset | ProxySetting::Off => f.write_str("None"),
            ProxySetting::Url { url, origin, .. } => {
                write!(f, "{} from {origin}", redact_userinfo(url))
            }
        }
    }
}

impl ProxySetting {
    /// Returns the proxy to use for `host`, or `None` when there is none or `host` is on
    /// the no-proxy list, and the route for diagnostics, password hidden.
    pub(crate) fn resolve(&self, host: &str) -> Result<(Option<ureq::Proxy>, ProxyRoute), Error> {
        let ProxySetting::Url {
            url,
            origin,
            no_proxy,
        } = self
        else {
            return Ok((None, ProxyRoute::Direct));
        };
        let proxy = parse_proxy(url, origin)?;
        let shown = redact_userinfo(url);
        if let Some((list_origin, list)) = no_proxy
            && bypasses_proxy(list, host)
        {
            log::info!("{host} is on the no-proxy list; connecting directly");
            let route = ProxyRoute::Bypassed {
                proxy: shown,
                origin: origin.clone(),
                no_proxy_origin: (*list_origin).to_owned(),
            };
            return Ok((None, route));
        }
        log::info!("using proxy {shown} from {origin}");
        let route = ProxyRoute::Proxy {
            url: shown,
            origin: origin.clone(),
            host: proxy
                .host()
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            port: proxy.port(),
        };
        Ok((Some(proxy), route))
    }
}

fn parse_proxy(url: &str, origin: &str) -> Result<ureq::Proxy, Error> {
    let invalid = |why: &str| {
        Error::config(format!(
            "invalid proxy {} in {origin}: {why}; expected http://[user:password@]host[:port]",
            Quoted(&redact_userinfo(url))
        ))
    };
    let scheme = url.split_once("://").map(|(scheme, _)| scheme);
    if let Some(scheme) = scheme
        && !scheme.eq_ignore_ascii_case("http")
        && !scheme.eq_ignore_ascii_case("https")
    {
        return Err(invalid("only http and https proxies are supported"));
    }
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let host_part = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    if host_part.is_empty() || host_part.starts_with(':') || host_part.starts_with('/') {
        return Err(invalid("no host"));
    }
    // ureq's URI parser ends the authority at the first '/', '?' or '#', so a password with
    // one of those unencoded would make it connect to a host named after the user.
    if userinfo_has_reserved_characters(rest) {
        return Err(invalid(
            "the user name or password contains '/', '?' or '#'; percent-encode them \
             as %2F, %3F and %23",
        ));
    }
    if let Some(port) = proxy_port(host_part)
        && !port.parse::<u16>().is_ok_and(|port| port > 0)
    {
        return Err(invalid("the port must be a number from 1 to 65535"));
    }
    ureq::Proxy::new(url).map_err(|_| invalid("not a URL"))
}

/// Returns whether the part before the last `@` of `user:password@host` contains a
/// character that ends a URL's authority.
fn userinfo_has_reserved_characters(rest: &str) -> bool {
    rest.rsplit_once('@')
        .is_some_and(|(userinfo, _)| userinfo.contains(['/', '?', '#']))
}

/// Returns the port text of `host[:port][/path]`, or `None` when there is none.
fn proxy_port(host_part: &str) -> Option<&str> {
    let authority = host_part.split('/').next().unwrap_or(host_part);
    let after_host = match authority.strip_prefix('[') {
        Some(bracketed) => bracketed.split_once(']')?.1,
        None => authority,
    };
    after_host.rsplit_once(':').map(|(_, port)| port)
}

/// Replaces the password of `scheme://user:password@host` with `***`, so a proxy URL can
/// be shown.
pub(crate) fn redact_userinfo(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None => (String::new(), url),
    };
    let Some((userinfo, host)) = rest.rsplit_once('@') else {
        return url.to_owned();
    };
    let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
    format!("{scheme}{user}:***@{host}")
}

/// Returns whether `host` matches the comma-separated no-proxy list, with curl's rules:
/// `*` matches every host, an entry matches the host itself and its subdomains (a leading
/// dot is ignored), and IP addresses match exactly. Ports in entries are ignored.
pub(crate) fn bypasses_proxy(list: &str, host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let host_is_ip = host.parse::<IpAddr>().is_ok();
    list.split(',')
        .map(|entry| entry.trim().to_ascii_lowercase())
        .filter(|entry| !entry.is_empty())
        .any(|entry| {
            if entry == "*" {
                return true;
            }
            let entry = strip_port(&entry);
            let entry = entry.trim_start_matches('.').trim_end_matches('.');
            host == entry || (!host_is_ip && host.ends_with(&format!(".{entry}")))
        })
}

fn strip_port(entry: &str) -> &str {
    if let Some(inner) = entry.strip_prefix('[') {
        return inner.split(']').next().unwrap_or(inner);
    }
    match entry.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') && port.chars().all(|c| c.is_ascii_digit()) => {
            host
        }
        _ => entry,
    }
}

/// Returns whether `host` is `localhost` or a loopback address (127.0.0.0/8, `::1`).
pub(crate) fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

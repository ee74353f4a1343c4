//! The ProConnect-shaped OpenID Connect provider ([`pli_testkit::OidcProvider`]) starts
//! and publishes what a relying party of ProConnect relies on.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::Duration;

use anyhow::Context as _;
use pli_testkit::oidc::NODE_MODULES_VAR;
use pli_testkit::{OidcAccount, OidcClient, OidcProvider};

/// `GET <url>` over a plain connection (`http://` only), with `cookie` if any: the
/// answer's head and body. HTTP/1.0, so that the body comes whole, never chunked.
fn get(url: &str, cookie: Option<&str>) -> anyhow::Result<(String, String)> {
    let rest = url.strip_prefix("http://").context("not an http:// URL")?;
    let (host, path) = rest.split_once('/').context("no path")?;
    let mut stream = TcpStream::connect(host).context("the provider refuses connections")?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let cookie = cookie.map(|cookie| format!("Cookie: {cookie}\r\n"));
    write!(
        stream,
        "GET /{path} HTTP/1.0\r\nHost: {host}\r\n{}\r\n",
        cookie.unwrap_or_default()
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    let (head, body) = answer
        .split_once("\r\n\r\n")
        .context("an answer without a body")?;
    Ok((head.to_owned(), body.to_owned()))
}

/// The values of the header `name` in `head` (several if it comes more than once).
fn headers<'a>(head: &'a str, name: &str) -> Vec<&'a str> {
    head.lines()
        .filter_map(|line| line.split_once(':'))
        .filter(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.trim())
        .collect()
}

/// The compact text of a JSON object's member `key` (a string, or an array of strings),
/// enough to check what it holds without a JSON parser.
fn member<'a>(json: &'a str, key: &str) -> anyhow::Result<&'a str> {
    let name = format!("\"{key}\":");
    let (_, value) = json
        .split_once(&name)
        .with_context(|| format!("no `{key}` in {json}"))?;
    let end = if value.starts_with('[') {
        value.find(']').map(|end| end + 1)
    } else {
        value.find([',', '}'])
    };
    Ok(value.get(..end.unwrap_or(value.len())).unwrap_or(value))
}

/// ProConnect's claims, each also a scope.
const PROCONNECT_CLAIMS: &[&str] = &[
    "given_name",
    "usual_name",
    "email",
    "uid",
    "siret",
    "idp_id",
];

#[test]
fn the_provider_publishes_proconnects_configuration() {
    if std::env::var_os(NODE_MODULES_VAR).is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{NODE_MODULES_VAR} is not set: CI runs the OpenID Connect tests \
             (`cargo xtask test` installs oidc-provider)"
        );
    }
    let node_modules = match OidcProvider::node_modules() {
        Ok(dir) => dir,
        Err(error) => {
            eprintln!("the OpenID Connect provider's test is left out: {error:#}");
            return;
        }
    };
    let client = OidcClient {
        client_id: "pli".to_owned(),
        client_secret: "a \"quoted\" secret\\".to_owned(),
        redirect_uri: "http://127.0.0.1:9/oidc/callback".to_owned(),
        post_logout_redirect_uri: "http://127.0.0.1:9/".to_owned(),
    };
    let account = OidcAccount {
        id: "marie".to_owned(),
        email: "marie.curie@example.gouv.fr".to_owned(),
        given_name: "Marie".to_owned(),
        usual_name: "Curie".to_owned(),
        uid: "1".to_owned(),
        siret: "13002526500013".to_owned(),
        idp_id: "fia1v2".to_owned(),
        acr: String::new(),
    };
    let provider = OidcProvider::start(&node_modules, &client, &[account], None).unwrap();
    assert!(provider.issuer.starts_with("http://127.0.0.1:"));
    assert!(!provider.issuer.ends_with('/'));

    let (head, body) = get(&provider.discovery_url(), None).unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}: {body}");
    assert_eq!(
        member(&body, "issuer").unwrap(),
        format!("\"{}\"", provider.issuer)
    );
    assert_eq!(
        member(&body, "end_session_endpoint").unwrap(),
        format!("\"{}/session/end\"", provider.issuer)
    );
    let expected: &[(&str, &[&str])] = &[
        ("userinfo_signing_alg_values_supported", &["RS256"]),
        ("id_token_signing_alg_values_supported", &["RS256"]),
        ("acr_values_supported", &["eidas1"]),
        ("code_challenge_methods_supported", &["S256"]),
        (
            "token_endpoint_auth_methods_supported",
            &["client_secret_post"],
        ),
        ("claims_supported", PROCONNECT_CLAIMS),
        ("scopes_supported", PROCONNECT_CLAIMS),
        ("scopes_supported", &["openid"]),
    ];
    for (key, values) in expected {
        let member = member(&body, key).unwrap();
        for value in *values {
            assert!(
                member.contains(&format!("\"{value}\"")),
                "{value} in {key}: {member}"
            );
        }
    }

    // Its sign-in page is the one the browser tests fill in, reached with the
    // interaction's cookie (not `Secure` over http, or no browser would send it back).
    let (head, body) = get(
        &format!(
            "{}/auth?response_type=code&client_id=pli\
             &redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Foidc%2Fcallback&scope=openid%20siret\
             &state=s&nonce=n&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM\
             &code_challenge_method=S256&acr_values=eidas1",
            provider.issuer
        ),
        None,
    )
    .unwrap();
    assert!(head.starts_with("HTTP/1.1 303"), "{head}: {body}");
    let location = headers(&head, "location")[0];
    assert!(location.starts_with("/interaction/"), "{location}");
    let cookies: Vec<&str> = headers(&head, "set-cookie")
        .into_iter()
        .filter(|cookie| cookie.starts_with("proconnect_interaction"))
        .inspect(|cookie| {
            let secure = cookie
                .split(';')
                .skip(1)
                .any(|attribute| attribute.trim().eq_ignore_ascii_case("secure"));
            assert!(!secure, "{cookie}");
        })
        .filter_map(|cookie| cookie.split(';').next())
        .collect();
    let (head, body) = get(
        &format!("{}{location}", provider.issuer),
        Some(&cookies.join("; ")),
    )
    .unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}: {body}");
    assert!(body.contains("<title>ProConnect (test)</title>"), "{body}");
    assert!(body.contains("id=\"login\""), "{body}");
    assert!(body.contains("id=\"sign-in\""), "{body}");
    drop(provider);
}

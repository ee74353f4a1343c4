//! Routing by the URL fragment (`#/inbox`, `#/exchange/<id>`…): tokens of one-time links
//! stay in the fragment, which browsers never send to the server.

/// Where the person is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `#/login`
    Login,
    /// `#/setup/<token>`
    Setup(String),
    /// `#/invitation/<token>`
    Invitation(String),
    /// `#/inbox`
    Inbox,
    /// `#/outbox`
    Outbox,
    /// `#/send`, or `#/send/<exchange>` to answer one
    Send(Option<String>),
    /// `#/exchange/<id>`
    Exchange(String),
    /// `#/admin`
    Admin,
    /// `#/platform`
    Platform,
    /// `#/account`
    Account,
    /// `#/kit`: the kit de secours (the account key, to print)
    Kit,
}

impl Route {
    /// Where a person lands after logging in: the platform page for the platform
    /// admin, the inbox for everyone else.
    pub fn home(role: pli_api::Role) -> Self {
        if role == pli_api::Role::PlatformAdmin {
            Self::Platform
        } else {
            Self::Inbox
        }
    }

    /// Parses a fragment.
    pub fn parse(hash: &str) -> Self {
        let path = hash.trim_start_matches('#').trim_start_matches('/');
        let mut parts = path.splitn(2, '/');
        match (parts.next().unwrap_or(""), parts.next()) {
            ("setup", Some(token)) => Self::Setup(token.to_owned()),
            ("invitation", Some(token)) => Self::Invitation(token.to_owned()),
            ("outbox", _) => Self::Outbox,
            ("send", reply) => Self::Send(reply.map(str::to_owned)),
            ("exchange", Some(id)) => Self::Exchange(id.to_owned()),
            ("admin", _) => Self::Admin,
            ("platform", _) => Self::Platform,
            ("account", _) => Self::Account,
            ("kit", _) => Self::Kit,
            ("login", _) => Self::Login,
            // The login page with a word after it (`#/login?proconnect=…`: why a ProConnect
            // sign-in did not go through), which the page reads itself.
            (path, None) if path.starts_with("login?") => Self::Login,
            _ => Self::Inbox,
        }
    }

    /// The fragment.
    pub fn href(&self) -> String {
        match self {
            Self::Login => "#/login".into(),
            Self::Setup(t) => format!("#/setup/{t}"),
            Self::Invitation(t) => format!("#/invitation/{t}"),
            Self::Inbox => "#/inbox".into(),
            Self::Outbox => "#/outbox".into(),
            Self::Send(None) => "#/send".into(),
            Self::Send(Some(id)) => format!("#/send/{id}"),
            Self::Exchange(id) => format!("#/exchange/{id}"),
            Self::Admin => "#/admin".into(),
            Self::Platform => "#/platform".into(),
            Self::Kit => "#/kit".into(),
            Self::Account => "#/account".into(),
        }
    }
}

/// Whether a one-time link's token arrived whole: the relay's tokens are 43 base64url
/// characters, and a link's `?root=` (if any) names a fingerprint of 64 hexadecimal
/// digits. A link cut by a mail client or a copy fails this before the relay is asked,
/// and the page says the link is incomplete rather than used or expired.
pub fn link_complete(token: &str) -> bool {
    let (token, root) = match token.split_once("?root=") {
        Some((token, root)) => (token, Some(root)),
        None => (token, None),
    };
    let token_ok = token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let root_ok = root.is_none_or(|root| {
        let digits: Vec<u8> = root.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        digits.len() == 64 && digits.iter().all(u8::is_ascii_hexdigit)
    });
    token_ok && root_ok
}

#[cfg(test)]
mod tests {
    use super::Route;

    #[test]
    fn every_route_survives_its_own_href() {
        for route in [
            Route::Login,
            Route::Setup("tok".into()),
            Route::Invitation("tok".into()),
            Route::Inbox,
            Route::Outbox,
            Route::Send(None),
            Route::Send(Some("0190".into())),
            Route::Exchange("0190".into()),
            Route::Admin,
            Route::Platform,
            Route::Account,
            Route::Kit,
            Route::Invitation("tok?root=00ff".into()),
        ] {
            assert_eq!(Route::parse(&route.href()), route);
        }
    }

    #[test]
    fn the_platform_admin_lands_on_the_platform_page_and_everyone_else_in_the_inbox() {
        assert_eq!(Route::home(pli_api::Role::PlatformAdmin), Route::Platform);
        assert_eq!(Route::home(pli_api::Role::OrgAdmin), Route::Inbox);
        assert_eq!(Route::home(pli_api::Role::Member), Route::Inbox);
    }

    #[test]
    fn tokens_keep_everything_after_their_prefix_and_unknown_fragments_land_in_the_inbox() {
        assert_eq!(Route::parse("#/setup/a/b"), Route::Setup("a/b".into()));
        assert_eq!(Route::parse(""), Route::Inbox);
        assert_eq!(Route::parse("#/nowhere"), Route::Inbox);
        // A link whose token was cut off is not a set-up link.
        assert_eq!(Route::parse("#/setup"), Route::Inbox);
        // Where the relay sends a refused ProConnect sign-in: the login page, its word after.
        assert_eq!(
            Route::parse("#/login?proconnect=state_expired"),
            Route::Login
        );
    }

    #[test]
    fn a_cut_link_is_told_from_a_whole_one() {
        let token = "A".repeat(43);
        assert!(super::link_complete(&token));
        assert!(super::link_complete(&format!(
            "{token}?root={}",
            "0f".repeat(32)
        )));
        assert!(!super::link_complete(&token[..40]), "token cut");
        assert!(
            !super::link_complete(&format!("{token}?root={}", "0f".repeat(20))),
            "root cut"
        );
        assert!(
            !super::link_complete(&format!("{}%2", &token[..41])),
            "mangled"
        );
        assert!(!super::link_complete(""));
    }
}

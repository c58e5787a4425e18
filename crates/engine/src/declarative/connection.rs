//! A connection with its templates rendered: base URL, headers, credentials.

use holdfast_http::{Client, ClientConfig, ResolvedAuth};
use holdfast_spec::Auth;
use url::Url;

use crate::SourceError;
use crate::template::{Renderer, Vars};

/// A resolved connection.
#[derive(Debug)]
pub(crate) struct Connection {
    pub(crate) client: Client,
    pub(crate) base_url: Url,
}

impl Connection {
    /// Renders the connection's templates (they may read `env` only).
    pub(crate) fn resolve(
        conn: &holdfast_spec::Connection,
        renderer: &mut Renderer,
    ) -> Result<Connection, SourceError> {
        let prefix = format!("connections.{}", conn.name);
        let mut render = |field: &str, t: &holdfast_spec::Template| {
            let name = format!("{prefix}.{field}");
            renderer.add(&name, t)?;
            renderer.render(&name, &Vars::default())
        };
        let base = render("base_url", &conn.base_url)?;
        let base_url = Url::parse(&base).map_err(|e| SourceError::Template {
            field: format!("{prefix}.base_url"),
            message: format!(
                "rendered to `{base}`, which is not an absolute URL ({e}); \
                 it should look like https://api.example.com"
            ),
        })?;
        let mut headers = Vec::new();
        for (k, t) in &conn.headers {
            headers.push((k.clone(), render(&format!("headers.{k}"), t)?));
        }
        let auth = match &conn.auth {
            Auth::ApiKey {
                name,
                value,
                location,
            } => ResolvedAuth::ApiKey {
                name: name.clone(),
                value: render("auth.value", value)?,
                location: *location,
            },
            Auth::Basic { username, password } => ResolvedAuth::Basic {
                username: render("auth.username", username)?,
                password: render("auth.password", password)?,
            },
            Auth::Bearer { token } => ResolvedAuth::Bearer {
                token: render("auth.token", token)?,
            },
            _ => ResolvedAuth::None,
        };
        let client = Client::new(ClientConfig {
            connection: conn.name.clone(),
            headers,
            timeout: conn.timeout,
            auth,
        })?;
        Ok(Connection { client, base_url })
    }
}

//! Each webhook's [`Verifier`], built from the connector file with its
//! secrets rendered; [`check`] builds them all without serving.

use holdfast_spec::{Env, SignatureEncoding, Spec, VerifyScheme, Webhook};
use holdfast_webhook::{Encoding, Scheme, Verifier};

/// A webhook that cannot be received as configured.
#[derive(Debug, thiserror::Error)]
#[error("webhook `{webhook}` (`webhooks.{webhook}.verify.secret`): {message}")]
pub struct ReceiverError {
    /// The webhook.
    pub webhook: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// Builds every webhook's verifier (rendering its secrets) without serving:
/// what `holdfast check` runs, so an unusable secret is found before deploy.
///
/// # Errors
/// Each webhook whose secret does not render or does not suit its scheme.
pub fn check(spec: &Spec, env: &Env) -> Result<(), Vec<ReceiverError>> {
    let errors: Vec<ReceiverError> = spec
        .webhooks
        .iter()
        .filter_map(|w| verifier(w, env).err())
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// The verifier of `webhook`, its secrets rendered with `env`.
pub(super) fn verifier(webhook: &Webhook, env: &Env) -> Result<Verifier, ReceiverError> {
    let fail = |message: String| ReceiverError {
        webhook: webhook.name.clone(),
        message,
    };
    let mut secrets = Vec::with_capacity(webhook.verify.secrets.len());
    for (i, t) in webhook.verify.secrets.iter().enumerate() {
        let field = format!("webhooks.{}.verify.secret[{i}]", webhook.name);
        let secret =
            holdfast_engine::render_with_env(&field, t, env).map_err(|e| fail(e.to_string()))?;
        secrets.push(secret);
    }
    let scheme = match &webhook.verify.scheme {
        VerifyScheme::StandardWebhooks => Scheme::StandardWebhooks,
        VerifyScheme::Stripe => Scheme::Stripe,
        VerifyScheme::Github => Scheme::Github,
        VerifyScheme::HmacSha256 {
            header,
            encoding,
            prefix,
        } => Scheme::HmacSha256 {
            header: header.clone(),
            encoding: match encoding {
                SignatureEncoding::Hex => Encoding::Hex,
                SignatureEncoding::Base64 => Encoding::Base64,
            },
            prefix: prefix.clone(),
        },
    };
    Verifier::new(scheme, secrets, webhook.verify.tolerance).map_err(|e| fail(e.to_string()))
}

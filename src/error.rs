//! The application's one error type: a stable code, an HTTP status and a French
//! message for the user. Details go to the server logs, never to the page.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// Stable machine-readable error codes, shared by the server and the browser.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request itself is malformed (bad arguments, bad encoding).
    BadRequest,
    /// A field's value is refused; `AppError::field` names the field.
    Invalid,
    /// Signing in is needed.
    Unauthenticated,
    /// Wrong email or password (never says which).
    InvalidCredentials,
    /// The account's email address is not confirmed yet.
    EmailNotConfirmed,
    /// Signed in, but not allowed.
    Forbidden,
    /// A one-time link that cannot be used (unknown, used, expired, replaced).
    InvalidLink,
    /// Too many attempts; retry later.
    RateLimited,
    /// The object changed since the caller read it (stale version).
    Conflict,
    /// The request cannot be changed in its current state.
    NotEditable,
    /// The thing asked for does not exist.
    NotFound,
    /// The body (an uploaded file) is larger than allowed.
    TooLarge,
    /// The database cannot be reached right now.
    DatabaseUnavailable,
    /// Another service the action needs (the antivirus, the file storage)
    /// cannot be reached right now.
    Unavailable,
    /// The browser could not reach the server.
    Network,
    /// Anything unexpected; the details are in the server logs.
    Internal,
    /// A mutation sent from another site (its `Origin` is not ours).
    CrossSiteRequest,
    /// The client's address cannot be read (rate limits need it).
    ClientUnknown,
    /// The online company directory cannot answer right now.
    DirectoryUnavailable,
    /// A SIRET that is not one (length, digits, checksum).
    InvalidSiret,
    /// A valid SIRET that no directory knows.
    OrganisationNotFound,
    /// A directory search that cannot be read.
    InvalidQuery,
    /// A directory search shorter than 2 characters.
    QueryTooShort,
    /// A directory search longer than 100 characters.
    QueryTooLong,
    /// The sign-in waiting for its second factor is over (or there is none).
    SignInExpired,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 25] = [
        ErrorCode::BadRequest,
        ErrorCode::Invalid,
        ErrorCode::Unauthenticated,
        ErrorCode::InvalidCredentials,
        ErrorCode::EmailNotConfirmed,
        ErrorCode::Forbidden,
        ErrorCode::InvalidLink,
        ErrorCode::RateLimited,
        ErrorCode::Conflict,
        ErrorCode::NotEditable,
        ErrorCode::NotFound,
        ErrorCode::TooLarge,
        ErrorCode::DatabaseUnavailable,
        ErrorCode::Unavailable,
        ErrorCode::Network,
        ErrorCode::Internal,
        ErrorCode::CrossSiteRequest,
        ErrorCode::ClientUnknown,
        ErrorCode::DirectoryUnavailable,
        ErrorCode::InvalidSiret,
        ErrorCode::OrganisationNotFound,
        ErrorCode::InvalidQuery,
        ErrorCode::QueryTooShort,
        ErrorCode::QueryTooLong,
        ErrorCode::SignInExpired,
    ];

    /// The HTTP status this code is answered with.
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::BadRequest => 400,
            ErrorCode::Invalid => 422,
            ErrorCode::Unauthenticated => 401,
            ErrorCode::InvalidCredentials => 401,
            ErrorCode::EmailNotConfirmed => 403,
            ErrorCode::Forbidden => 403,
            ErrorCode::InvalidLink | ErrorCode::SignInExpired => 410,
            ErrorCode::RateLimited => 429,
            ErrorCode::Conflict => 409,
            ErrorCode::NotEditable => 409,
            ErrorCode::NotFound => 404,
            ErrorCode::TooLarge => 413,
            ErrorCode::DatabaseUnavailable => 503,
            ErrorCode::Unavailable => 503,
            ErrorCode::Network => 503,
            ErrorCode::Internal => 500,
            ErrorCode::CrossSiteRequest => 403,
            ErrorCode::ClientUnknown => 400,
            ErrorCode::DirectoryUnavailable => 503,
            ErrorCode::InvalidSiret => 422,
            ErrorCode::OrganisationNotFound => 404,
            ErrorCode::InvalidQuery | ErrorCode::QueryTooShort | ErrorCode::QueryTooLong => 422,
        }
    }

    /// The stable code as text (the serde name).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::Invalid => "invalid",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::InvalidCredentials => "invalid_credentials",
            ErrorCode::EmailNotConfirmed => "email_not_confirmed",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::InvalidLink => "invalid_link",
            ErrorCode::SignInExpired => "sign_in_expired",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Conflict => "conflict",
            ErrorCode::NotEditable => "not_editable",
            ErrorCode::NotFound => "not_found",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::DatabaseUnavailable => "database_unavailable",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Network => "network",
            ErrorCode::Internal => "internal",
            ErrorCode::CrossSiteRequest => "cross_site_request",
            ErrorCode::ClientUnknown => "client_unknown",
            ErrorCode::DirectoryUnavailable => "directory_unavailable",
            ErrorCode::InvalidSiret => "invalid_siret",
            ErrorCode::OrganisationNotFound => "organisation_not_found",
            ErrorCode::InvalidQuery => "invalid_query",
            ErrorCode::QueryTooShort => "query_too_short",
            ErrorCode::QueryTooLong => "query_too_long",
        }
    }

    /// The default French message for this code.
    pub fn default_message(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "La requête est invalide.",
            ErrorCode::Invalid => "Une valeur saisie est invalide.",
            ErrorCode::Unauthenticated => {
                "Vous n’êtes pas connecté, ou votre session a expiré : connectez-vous pour continuer."
            }
            ErrorCode::InvalidCredentials => "Adresse électronique ou mot de passe incorrect.",
            ErrorCode::EmailNotConfirmed => {
                "Votre adresse électronique n’est pas encore confirmée : nous venons de vous \
                 renvoyer un lien de confirmation."
            }
            ErrorCode::Forbidden => "Vous n’avez pas accès à cette action.",
            ErrorCode::InvalidLink => "Ce lien n’est pas valide.",
            ErrorCode::RateLimited => "Trop de tentatives : patientez une minute puis réessayez.",
            ErrorCode::Conflict => {
                "Conflit : la demande a été modifiée ailleurs (un autre onglet ou un autre appareil) \
                 depuis que vous l’avez ouverte."
            }
            ErrorCode::NotEditable => "Cette demande n’est plus modifiable dans son état actuel.",
            ErrorCode::NotFound => "La ressource demandée n’existe pas.",
            ErrorCode::TooLarge => "Le fichier envoyé est trop volumineux.",
            ErrorCode::Unavailable => {
                "Un service nécessaire à cette action est momentanément indisponible. Réessayez \
                 dans quelques minutes : rien de ce que vous avez saisi n’est perdu."
            }
            ErrorCode::DatabaseUnavailable => {
                "Le service est momentanément indisponible : la base de données ne répond pas. \
                 Réessayez dans quelques instants."
            }
            ErrorCode::Network => {
                "Le serveur est injoignable. Vérifiez votre connexion puis réessayez."
            }
            ErrorCode::Internal => {
                "Une erreur inattendue est survenue. Réessayez ; si elle persiste, contactez le support."
            }
            ErrorCode::CrossSiteRequest => {
                "Requête refusée : elle ne provient pas de ce site. Rechargez la page et réessayez."
            }
            ErrorCode::ClientUnknown => "Requête refusée : l’adresse du client est introuvable.",
            ErrorCode::DirectoryUnavailable => {
                "L’annuaire des entreprises est momentanément indisponible."
            }
            ErrorCode::InvalidSiret => "Le SIRET saisi n’est pas valide.",
            ErrorCode::OrganisationNotFound => "Cette organisation ne figure pas dans l’annuaire.",
            ErrorCode::InvalidQuery => "La recherche est mal formée.",
            ErrorCode::QueryTooShort => {
                "Saisissez au moins 2 caractères du nom de votre organisation, ou son SIRET."
            }
            ErrorCode::QueryTooLong => "La recherche est limitée à 100 caractères.",
            ErrorCode::SignInExpired => {
                "La connexion a expiré : saisissez de nouveau votre adresse et votre mot de passe."
            }
        }
    }
}

/// The error every server function returns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    /// The form field the error is about, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl AppError {
    /// An error with the default French message of its code.
    pub fn new(code: ErrorCode) -> Self {
        AppError {
            code,
            message: code.default_message().to_owned(),
            field: None,
        }
    }

    /// An error with a specific French message.
    pub fn with_message(code: ErrorCode, message: impl Into<String>) -> Self {
        AppError {
            code,
            message: message.into(),
            field: None,
        }
    }

    /// A refused field value, with its French message.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError {
            code: ErrorCode::Invalid,
            message: message.into(),
            field: Some(field.to_owned()),
        }
    }

    /// The message when the error is about `field`.
    pub fn message_for(&self, field: &str) -> Option<&str> {
        (self.field.as_deref() == Some(field)).then_some(self.message.as_str())
    }

    pub fn status(&self) -> u16 {
        self.code.status()
    }

    /// The same error about `field`.
    pub fn on_field(mut self, field: &str) -> Self {
        self.field = Some(field.to_owned());
        self
    }
}

impl From<ErrorCode> for AppError {
    fn from(code: ErrorCode) -> Self {
        AppError::new(code)
    }
}

/// How the lower layers' errors reach users: one conversion each, with the
/// French message of their code. Details go to the logs.
#[cfg(feature = "ssr")]
mod server_side {
    use super::{AppError, ErrorCode};
    use crate::server::db::DbError;
    use crate::server::db::requests::RequestWriteError;

    impl From<DbError> for AppError {
        fn from(err: DbError) -> Self {
            match &err {
                DbError::Unavailable(_) => {
                    tracing::warn!(error = %err, "database unavailable");
                    AppError::new(ErrorCode::DatabaseUnavailable)
                }
                _ => {
                    tracing::error!(error = %err, "database error");
                    AppError::new(ErrorCode::Internal)
                }
            }
        }
    }

    impl From<sqlx::Error> for AppError {
        fn from(err: sqlx::Error) -> Self {
            DbError::from(err).into()
        }
    }

    impl From<RequestWriteError> for AppError {
        fn from(err: RequestWriteError) -> Self {
            match err {
                RequestWriteError::NotFound => AppError::with_message(
                    ErrorCode::NotFound,
                    "Cette demande n’existe pas ou a été supprimée.",
                ),
                RequestWriteError::Conflict { .. } => AppError::new(ErrorCode::Conflict),
                RequestWriteError::Lifecycle(l) => AppError::with_message(
                    ErrorCode::NotEditable,
                    format!("Action impossible : {l}"),
                ),
                RequestWriteError::Db(d) => d.into(),
            }
        }
    }

    /// An error answered by a handler: its status and its JSON.
    impl axum::response::IntoResponse for AppError {
        fn into_response(self) -> axum::response::Response {
            let status = axum::http::StatusCode::from_u16(self.status())
                .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
            (status, axum::Json(self)).into_response()
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        let code = match &value {
            ServerFnErrorErr::Request(_) => ErrorCode::Network,
            ServerFnErrorErr::Args(_)
            | ServerFnErrorErr::MissingArg(_)
            | ServerFnErrorErr::UnsupportedRequestMethod(_) => ErrorCode::BadRequest,
            // On the server, what fails to deserialise is the request: the
            // client's fault. In the browser, it is the server's answer.
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::Deserialization(_) => ErrorCode::BadRequest,
            #[cfg(not(feature = "ssr"))]
            ServerFnErrorErr::Deserialization(_) => ErrorCode::Internal,
            ServerFnErrorErr::Registration(_)
            | ServerFnErrorErr::ServerError(_)
            | ServerFnErrorErr::MiddlewareError(_)
            | ServerFnErrorErr::Serialization(_)
            | ServerFnErrorErr::Response(_) => ErrorCode::Internal,
        };
        #[cfg(feature = "ssr")]
        {
            tracing::warn!(error = %value, code = code.as_str(), "server function error");
            // A body sent without its length, cut at the limit while read.
            if value.to_string().contains("length limit exceeded") {
                return AppError::with_message(
                    ErrorCode::TooLarge,
                    "La requête est trop volumineuse (1 Mo au maximum).",
                );
            }
        }
        AppError::new(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialise_to_their_stable_names() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(&code).expect("serialisable");
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert!(code.status() >= 400);
            assert!(!code.default_message().is_empty());
        }
    }

    #[test]
    fn framework_errors_never_leak_details() {
        let err = AppError::from_server_fn_error(ServerFnErrorErr::ServerError(
            "relation \"requests\" does not exist".into(),
        ));
        assert_eq!(err.code, ErrorCode::Internal);
        assert!(!err.message.contains("relation"));

        let err = AppError::from_server_fn_error(ServerFnErrorErr::Args("bad".into()));
        assert_eq!(err.code, ErrorCode::BadRequest);
        assert_eq!(err.status(), 400);

        let err = AppError::from_server_fn_error(ServerFnErrorErr::Request("offline".into()));
        assert_eq!(err.code, ErrorCode::Network);
    }

    #[test]
    fn errors_round_trip_as_json() {
        let err = AppError::new(ErrorCode::DatabaseUnavailable);
        let bytes = err.ser();
        assert_eq!(AppError::de(bytes), err);
    }
}

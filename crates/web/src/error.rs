//! Errors as users see them: JSON APIs answer with a JSON body saying what was wrong; pages
//! answer with an error page in the reader's language. A 500 says nothing internal; its
//! cause goes to the log with the request id.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::i18n::Lang;

/// An error of a JSON API.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("not found")]
    NotFound,
    #[error("authentication required")]
    Unauthorized,
    #[error("forbidden")]
    Forbidden,
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("internal error")]
    Internal(String),
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// A stable machine-readable code.
    pub error: &'static str,
    /// What was wrong, for a person.
    pub message: String,
}

impl ApiError {
    pub fn internal(e: impl std::fmt::Display) -> ApiError {
        ApiError::Internal(e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, "bad_request", m),
            ApiError::NotFound => (StatusCode::NOT_FOUND, "not_found", "not found".into()),
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "authentication required".into(),
            ),
            ApiError::Forbidden => (StatusCode::FORBIDDEN, "forbidden", "forbidden".into()),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, "conflict", m),
            ApiError::TooLarge(m) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large", m),
            ApiError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error; the cause has been logged".into(),
                )
            }
        };
        (
            status,
            Json(ErrorBody {
                error: code,
                message,
            }),
        )
            .into_response()
    }
}

/// An error of an HTML page.
#[derive(Debug)]
pub struct PageError {
    pub status: StatusCode,
    pub lang: Lang,
    /// A message already in the reader's language; `None` uses the status's own text.
    pub message: Option<String>,
    /// Logged, never shown.
    pub cause: Option<String>,
}

impl PageError {
    pub fn new(status: StatusCode, lang: Lang) -> PageError {
        PageError {
            status,
            lang,
            message: None,
            cause: None,
        }
    }

    pub fn not_found(lang: Lang) -> PageError {
        PageError::new(StatusCode::NOT_FOUND, lang)
    }

    pub fn forbidden(lang: Lang) -> PageError {
        PageError::new(StatusCode::FORBIDDEN, lang)
    }

    pub fn internal(lang: Lang, cause: impl std::fmt::Display) -> PageError {
        PageError {
            cause: Some(cause.to_string()),
            ..PageError::new(StatusCode::INTERNAL_SERVER_ERROR, lang)
        }
    }

    /// A form whose CSRF token does not match: usually a page left open too long.
    pub fn csrf_refused(lang: Lang) -> PageError {
        PageError::bad_request(lang, lang.texts().csrf_failed)
    }

    pub fn bad_request(lang: Lang, message: impl Into<String>) -> PageError {
        PageError {
            message: Some(message.into()),
            ..PageError::new(StatusCode::BAD_REQUEST, lang)
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let t = self.lang.texts();
        if let Some(cause) = &self.cause {
            tracing::error!(%cause, status = %self.status, "page error");
        }
        let message = self.message.unwrap_or_else(|| {
            match self.status {
                StatusCode::NOT_FOUND => t.not_found,
                StatusCode::FORBIDDEN => t.forbidden,
                StatusCode::UNAUTHORIZED => t.sign_in_required,
                StatusCode::BAD_REQUEST => t.bad_request,
                _ => t.server_error,
            }
            .to_string()
        });
        let page = crate::pages::ErrorPage {
            ctx: crate::pages::PageCtx::bare(self.lang, t.error_title),
            status: self.status.as_u16(),
            message,
        };
        (self.status, crate::pages::render(&page)).into_response()
    }
}

//! Static files: the app directory's `static/` folder served under
//! `/static/` before the handler is called.
//!
//! File serving itself is tower-http's `ServeDir` (content type from the
//! extension, `ETag` and `Last-Modified` with `304` on revalidation, `HEAD`,
//! byte ranges). What this module adds is the one thing `ServeDir` does not
//! do: it follows symlinks wherever they point, so every request's file is
//! canonicalised first and anything that resolves outside the folder is a
//! 404, like `..` segments (also percent-encoded) and absolute paths, which
//! `ServeDir` already refuses. Directories are not listed and not
//! redirected: they are 404 too.

use bytes::Bytes;
use http_body_util::{Either, Empty, Full};
use hyper::{Method, Request, Response, StatusCode};
use std::path::{Component, Path, PathBuf};
use tower_http::services::fs::ServeFileSystemResponseBody;
use tower_http::services::ServeDir;

/// The URL prefix static files are served under (`/static/css/site.css`).
pub const PREFIX: &str = "/static";

/// The folder name, in the app's directory.
pub const DIR: &str = "static";

/// A response body from [`StaticFiles::serve`]: a short text for errors, or
/// the file (streamed by `ServeDir`).
pub type Body = Either<Full<Bytes>, ServeFileSystemResponseBody>;

/// The `static/` folder of one app.
#[derive(Clone, Debug)]
pub struct StaticFiles {
    /// The folder's canonical path: every served file is inside it.
    root: PathBuf,
    files: ServeDir,
}

impl StaticFiles {
    /// The `static/` folder beside the app's main file, when there is one.
    pub fn for_app(app_file: &Path) -> Option<StaticFiles> {
        let dir = app_file.parent().unwrap_or(Path::new(".")).join(DIR);
        let root = std::fs::canonicalize(dir).ok().filter(|d| d.is_dir())?;
        let files = ServeDir::new(&root).append_index_html_on_directories(false).redirect_to_trailing_slash(false);
        Some(StaticFiles { root, files })
    }

    /// The folder's canonical path.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// True when `path` (the request's URL path) is under `/static/`: the
    /// request is answered by [`StaticFiles::serve`], never by the handler.
    pub fn claims(path: &str) -> bool {
        path.strip_prefix(PREFIX).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    }

    /// Answers a request whose path [`StaticFiles::claims`]: the file, a
    /// `304`/`206`/`416` as `ServeDir` decides, `405` for methods other than
    /// `GET` and `HEAD`, or `404` for anything that is not a file inside the
    /// folder.
    pub async fn serve(&self, req: &Request<impl Sized>) -> Response<Body> {
        let rest = req.uri().path().strip_prefix(PREFIX).unwrap_or("");
        if req.method() != Method::GET && req.method() != Method::HEAD {
            return status(StatusCode::METHOD_NOT_ALLOWED);
        }
        if !self.inside(rest) {
            return status(StatusCode::NOT_FOUND);
        }
        let uri = match rest.parse::<hyper::Uri>() {
            Ok(uri) => uri,
            Err(_) => return status(StatusCode::NOT_FOUND),
        };
        let mut inner = Request::new(Empty::<Bytes>::new());
        *inner.method_mut() = req.method().clone();
        *inner.uri_mut() = uri;
        *inner.headers_mut() = req.headers().clone();
        match self.files.clone().try_call(inner).await {
            Ok(resp) => resp.map(Either::Right),
            Err(e) => {
                let missing = matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied)
                    || e.raw_os_error() == Some(20); // ENOTDIR: a path through a file
                if !missing {
                    tracing::error!(error = %e, path = %req.uri().path(), "static file");
                }
                status(if missing { StatusCode::NOT_FOUND } else { StatusCode::INTERNAL_SERVER_ERROR })
            }
        }
    }

    /// True when the URL path `rest` (after `/static`) names an existing file
    /// whose real location (symlinks followed) is inside the folder. Percent
    /// escapes are decoded first, so `%2e%2e` is `..`.
    fn inside(&self, rest: &str) -> bool {
        let Some(decoded) = super::http::percent_decode(rest, false) else {
            return false;
        };
        let mut path = self.root.clone();
        for c in Path::new(decoded.trim_start_matches('/')).components() {
            match c {
                Component::Normal(part) => path.push(part),
                Component::CurDir => {}
                Component::ParentDir | Component::RootDir | Component::Prefix(_) => return false,
            }
        }
        match std::fs::canonicalize(&path) {
            Ok(real) => real.starts_with(&self.root) && real.is_file(),
            Err(_) => false,
        }
    }
}

/// A plain-text response with this status (`404 Not Found`).
fn status(code: StatusCode) -> Response<Body> {
    let text = format!("{} {}\n", code.as_str(), code.canonical_reason().unwrap_or(""));
    let mut resp = Response::new(Either::Left(Full::new(Bytes::from(text))));
    *resp.status_mut() = code;
    resp.headers_mut().insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"));
    resp
}

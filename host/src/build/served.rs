//! Serving a bundle: `sxc serve APP.sxb` (and `sxc run` of an app bundle).
//! The bundle is opened and verified once, before the workers start; its
//! static files are written to a private temporary folder that lives as
//! long as the server and is served exactly like an app directory's
//! `static/` folder.

use super::{Bundle, Kind};
use crate::serve::static_files::{StaticFiles, DIR};
use crate::serve::ServeError;
use std::path::{Component, Path};
use std::sync::Arc;

/// A bundle being served.
pub struct Served {
    pub bundle: Bundle,
    /// The temporary folder holding `static/` (removed when the server ends).
    root: Option<tempfile::TempDir>,
}

impl Served {
    /// `Some` when `app` is a bundle file: opened, verified, and its static
    /// files extracted. Errors: a refused bundle, a bundle of a script, or
    /// `--dev` (which reloads sources a bundle does not have).
    pub(crate) fn open_if_bundle(app: &Path, dev: bool) -> Result<Option<Arc<Served>>, ServeError> {
        if !super::is_bundle(app) {
            return Ok(None);
        }
        let bundle = Bundle::open(app).map_err(|e| ServeError::Load(format!("error: {e}")))?;
        if bundle.manifest.kind != Kind::App {
            return Err(ServeError::Load(format!(
                "{} is a bundle of a script (it never calls http-listen): run it with `sxc run`",
                app.display()
            )));
        }
        if dev {
            return Err(ServeError::Load(format!(
                "--dev reloads an app from its sources; {} is a bundle: serve the app's directory instead",
                app.display()
            )));
        }
        let root = extract(&bundle).map_err(|e| ServeError::Load(format!("{}: static files: {e}", app.display())))?;
        Ok(Some(Arc::new(Served { bundle, root })))
    }

    /// The bundle's static files, as a `static/` folder to serve.
    pub(crate) fn static_files(&self) -> Option<StaticFiles> {
        self.root.as_ref().and_then(|r| StaticFiles::for_app(&r.path().join("app.sx")))
    }
}

/// Writes the bundle's static files under a new temporary folder's
/// `static/`; `None` when it has none. A path that is not a plain relative
/// path (`..`, absolute) is refused.
fn extract(bundle: &Bundle) -> Result<Option<tempfile::TempDir>, String> {
    if bundle.statics.is_empty() {
        return Ok(None);
    }
    let root = tempfile::Builder::new().prefix("sxc-bundle-").tempdir().map_err(|e| e.to_string())?;
    let base = root.path().join(DIR);
    for (rel, bytes) in &bundle.statics {
        let p = Path::new(rel);
        if rel.is_empty() || !p.components().all(|c| matches!(c, Component::Normal(_))) {
            return Err(format!("bad path `{rel}`"));
        }
        let dest = base.join(p);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::write(&dest, bytes).map_err(|e| format!("{}: {e}", dest.display()))?;
    }
    Ok(Some(root))
}

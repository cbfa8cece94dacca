//! The contents of a bundle (format version 2) and their encoding into the
//! container of [`super::format`]: the manifest, the source texts (for
//! backtraces and error positions; the prelude's too), the optimised IR of
//! the prelude and of the program as text with a span table beside each,
//! the functions' object code (a few functions per object), and the app's
//! static files. The prelude travels in the bundle so that a start from a
//! bundle reads, expands and lowers nothing (format 1 compiled the prelude
//! from source at every start, and had no object code for it).
//!
//! Sections, in order: `MANI` (manifest, `key = value` lines), `SRCS`,
//! `IRTX` (per module: IR text, function count), `SPAN` (per module),
//! `FUNC`, `OBJS`, `STAT`.

use super::format::{self, BundleError, Reader, Writer};
use std::path::Path;

/// What a bundle says about itself (printed by `sxc inspect APP.sxb`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    /// The sxc version that built it.
    pub sxc_version: String,
    /// `script` (run to completion) or `app` (calls `http-listen`: served).
    pub kind: Kind,
    /// The main file's name as given to `sxc build`.
    pub entry: String,
    /// LLVM target triple of the object code.
    pub target: String,
    /// LLVM CPU name and feature string the object code was compiled for.
    pub cpu: String,
    pub cpu_features: String,
    /// SHA-256 (hex, 16 digits) of `crate::llvm::abi_text()`.
    pub abi: String,
    /// Identifies the program (hash of its IR): the prefix of its object symbols.
    pub id: String,
    /// Source files: `(sha256 hex, name)`, main file first.
    pub sources: Vec<(String, String)>,
    /// Where the type feedback compiled in came from (`none`, or a profile file's hash).
    pub profile: String,
}

/// What kind of program a bundle holds.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    Script,
    App,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Script => "script",
            Kind::App => "app",
        }
    }
}

impl Manifest {
    /// The manifest as `key = value` lines (repeated keys for lists).
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "sxc-version = {}\nformat = {}\nkind = {}\nentry = {}\ntarget = {}\ncpu = {}\ncpu-features = {}\nabi = {}\nid = {}\nprofile = {}\n",
            self.sxc_version,
            format::FORMAT_VERSION,
            self.kind.name(),
            self.entry,
            self.target,
            self.cpu,
            self.cpu_features,
            self.abi,
            self.id,
            self.profile
        );
        for (hash, name) in &self.sources {
            s.push_str(&format!("source = {hash} {name}\n"));
        }
        s
    }

    /// Parses [`Manifest::to_text`]; `err` makes the error for a missing or bad key.
    pub fn parse(text: &str, err: impl Fn(String) -> BundleError) -> Result<Manifest, BundleError> {
        let mut kv: Vec<(&str, &str)> = Vec::new();
        for line in text.lines() {
            let (k, v) = line.split_once(" = ").ok_or_else(|| err(format!("manifest line `{line}`")))?;
            kv.push((k, v));
        }
        let get = |k: &str| kv.iter().find(|(key, _)| *key == k).map(|(_, v)| v.to_string()).ok_or_else(|| err(format!("manifest has no `{k}`")));
        let kind = match get("kind")?.as_str() {
            "script" => Kind::Script,
            "app" => Kind::App,
            other => return Err(err(format!("manifest kind `{other}`"))),
        };
        let sources = kv
            .iter()
            .filter(|(k, _)| *k == "source")
            .map(|(_, v)| v.split_once(' ').map(|(h, n)| (h.to_string(), n.to_string())).ok_or_else(|| err(format!("manifest source `{v}`"))))
            .collect::<Result<_, _>>()?;
        Ok(Manifest {
            sxc_version: get("sxc-version")?,
            kind,
            entry: get("entry")?,
            target: get("target")?,
            cpu: get("cpu")?,
            cpu_features: get("cpu-features")?,
            abi: get("abi")?,
            id: get("id")?,
            sources,
            profile: get("profile")?,
        })
    }
}

/// One source file of the program, as the build's source map had it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// Its id in the build's source map (spans refer to it).
    pub build_id: u32,
    pub name: String,
    pub text: String,
}

/// A span as stored: build-time file id, byte range.
pub type SpanRec = (u32, u32, u32);

/// One function and where its machine code is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Function {
    /// Display name (`lambda` for anonymous ones).
    pub name: String,
    /// `vm::jit::aot::fingerprint` of the bytecode map it was compiled against.
    pub fingerprint: u64,
    /// Its entry symbol.
    pub symbol: String,
    /// The index in [`Bundle::objects`] of the object defining `symbol`
    /// (`None` when the code generator refused the function).
    pub object: Option<u32>,
    /// Its machine code size in bytes.
    pub code_size: u64,
}

/// One compiled module of a bundle: the prelude's or the program's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleIr {
    /// The optimised IR module as printed by `ir::print`.
    pub ir: String,
    /// Spans of the IR (`super::program::collect_spans` order).
    pub spans: Vec<SpanRec>,
    /// How many functions (protos, in walk order) its bytecode has: its
    /// share of [`Bundle::functions`].
    pub functions: u32,
}

/// A decoded bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bundle {
    pub manifest: Manifest,
    /// Every file of the build's source map, the prelude (`<prelude>`) first.
    pub sources: Vec<Source>,
    /// The modules, in load order: the prelude, then the program (last).
    pub modules: Vec<ModuleIr>,
    /// Functions of every module, module after module, each module's in
    /// `Proto::walk` order of its bytecode.
    pub functions: Vec<Function>,
    /// Relocatable objects (each defines several functions' entries).
    pub objects: Vec<Vec<u8>>,
    /// Static files: path relative to the app's `static/` folder (`/`-separated), contents.
    pub statics: Vec<(String, Vec<u8>)>,
}

impl Bundle {
    /// The program's module (the last; the prelude's come before it).
    pub fn program(&self) -> &ModuleIr {
        self.modules.last().expect("a decoded bundle has at least one module")
    }

    /// The program's functions (the last module's share of [`Bundle::functions`]).
    pub fn program_functions(&self) -> &[Function] {
        &self.functions[self.functions.len() - self.program().functions as usize..]
    }

    /// The bundle file's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.section(b"MANI", |w| w.str(&self.manifest.to_text()));
        w.section(b"SRCS", |w| {
            w.u32(self.sources.len() as u32);
            for s in &self.sources {
                w.u32(s.build_id);
                w.str(&s.name);
                w.str(&s.text);
            }
        });
        w.section(b"IRTX", |w| {
            w.u32(self.modules.len() as u32);
            for m in &self.modules {
                w.str(&m.ir);
                w.u32(m.functions);
            }
        });
        w.section(b"SPAN", |w| {
            for m in &self.modules {
                w.u32(m.spans.len() as u32);
                for &(f, lo, hi) in &m.spans {
                    w.u32(f);
                    w.u32(lo);
                    w.u32(hi);
                }
            }
        });
        w.section(b"FUNC", |w| {
            w.u32(self.functions.len() as u32);
            for f in &self.functions {
                w.str(&f.name);
                w.u64(f.fingerprint);
                w.str(&f.symbol);
                w.u32(f.object.unwrap_or(u32::MAX));
                w.u64(f.code_size);
            }
        });
        w.section(b"OBJS", |w| {
            w.u32(self.objects.len() as u32);
            for o in &self.objects {
                w.bytes(o);
            }
        });
        w.section(b"STAT", |w| {
            w.u32(self.statics.len() as u32);
            for (p, b) in &self.statics {
                w.str(p);
                w.bytes(b);
            }
        });
        w.finish()
    }

    /// Reads the bundle file at `path`: verified ([`format::verify`]),
    /// decoded, and checked to be for this machine's target triple.
    pub fn open(path: &Path) -> Result<Bundle, BundleError> {
        let file = std::fs::read(path).map_err(|error| BundleError::Io { path: path.display().to_string(), error })?;
        let b = Bundle::decode(path, &file)?;
        if !crate::llvm::triple_is_this_machine(&b.manifest.target) {
            return Err(BundleError::Target { path: path.display().to_string(), built: b.manifest.target, here: crate::llvm::this_machine() });
        }
        Ok(b)
    }

    /// Verifies and decodes a bundle file's bytes (`path` for messages).
    pub fn decode(path: &Path, file: &[u8]) -> Result<Bundle, BundleError> {
        let payload = format::verify(path, file)?;
        let mut r = Reader::new(path, payload);
        let mani = r.section(b"MANI")?.str("manifest")?;
        let manifest = Manifest::parse(&mani, |what| r.error(what))?;
        let mut s = r.section(b"SRCS")?;
        let n = s.u32("source count")?;
        let mut sources = Vec::new();
        for _ in 0..n {
            sources.push(Source { build_id: s.u32("source id")?, name: s.str("source name")?, text: s.str("source text")? });
        }
        let mut s = r.section(b"IRTX")?;
        let n = s.u32("module count")?;
        if n == 0 {
            return Err(r.error("it has no module"));
        }
        let mut modules = Vec::new();
        for _ in 0..n {
            modules.push(ModuleIr { ir: s.str("IR")?, spans: Vec::new(), functions: s.u32("module function count")? });
        }
        let mut s = r.section(b"SPAN")?;
        for m in &mut modules {
            let n = s.u32("span count")?;
            for _ in 0..n {
                m.spans.push((s.u32("span")?, s.u32("span")?, s.u32("span")?));
            }
        }
        let mut s = r.section(b"FUNC")?;
        let n = s.u32("function count")?;
        let mut functions = Vec::new();
        for _ in 0..n {
            functions.push(Function {
                name: s.str("function name")?,
                fingerprint: s.u64("fingerprint")?,
                symbol: s.str("symbol")?,
                object: Some(s.u32("object index")?).filter(|&i| i != u32::MAX),
                code_size: s.u64("code size")?,
            });
        }
        let mut s = r.section(b"OBJS")?;
        let n = s.u32("object count")?;
        let mut objects = Vec::new();
        for _ in 0..n {
            objects.push(s.bytes("object")?.to_vec());
        }
        if modules.iter().map(|m| m.functions as usize).sum::<usize>() != functions.len() {
            return Err(r.error(format!("its modules have other function counts than its {} functions", functions.len())));
        }
        if let Some(f) = functions.iter().find(|f| f.object.is_some_and(|i| i as usize >= objects.len())) {
            return Err(r.error(format!("function {} refers to a missing object", f.name)));
        }
        let mut s = r.section(b"STAT")?;
        let n = s.u32("static file count")?;
        let mut statics = Vec::new();
        for _ in 0..n {
            statics.push((s.str("static path")?, s.bytes("static file")?.to_vec()));
        }
        Ok(Bundle { manifest, sources, modules, functions, objects, statics })
    }
}

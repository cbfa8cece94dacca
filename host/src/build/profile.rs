//! Recorded profiles for profile-guided bundles: `--record-profile FILE`
//! (`sxc serve`, `sxc run`) writes each function's call count and per-pc
//! type feedback at exit; `sxc build --profile FILE` compiles the object
//! code with those speculations (and their deoptimisation exits) instead of
//! the "integers, or nothing seen yet" guess of code compiled before its
//! first call.
//!
//! A profile names functions by their position in the program's bytecode
//! (`Proto::walk` order), their name and their bytecode length; `sxc build`
//! uses an entry only when all three match the function it compiles, so a
//! profile of another version of the program is ignored function by
//! function, never misapplied. Record from the bundle (or the source) of the
//! same program you build.
//!
//! File format (text): a first line `sxc-profile 1`, then one line per
//! function: `fn INDEX CALLS FEEDBACK NAME`, FEEDBACK being one hex byte
//! (a `vm::profile::kinds` bitset) per bytecode pc.

use std::path::Path;
use std::rc::Rc;
use std::sync::Mutex;
use vm::bytecode::Proto;

/// First line of a profile file.
const HEADER: &str = "sxc-profile 1";

/// One function's recorded profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FnProfile {
    pub name: String,
    /// Times entered.
    pub calls: u64,
    /// Observed-kind bitset per bytecode pc.
    pub feedback: Vec<u8>,
}

/// A program's profile, per function in walk order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Profile {
    pub functions: Vec<FnProfile>,
}

impl Profile {
    /// A snapshot of the profile of the module whose root proto is `root`.
    pub fn of(root: &Rc<Proto>) -> Profile {
        let mut functions = Vec::new();
        root.walk(&mut |p| {
            functions.push(FnProfile {
                name: p.display_name().to_string(),
                calls: p.profile.calls.get(),
                feedback: p.profile.feedback.iter().map(|c| c.get()).collect(),
            })
        });
        Profile { functions }
    }

    /// Adds `other` (another isolate's snapshot of the same program): calls
    /// add up, observed kinds are united. A function that does not match
    /// (name, bytecode length) is left as it is.
    pub fn merge(&mut self, other: &Profile) {
        if self.functions.is_empty() {
            *self = other.clone();
            return;
        }
        for (a, b) in self.functions.iter_mut().zip(&other.functions) {
            if a.name == b.name && a.feedback.len() == b.feedback.len() {
                a.calls += b.calls;
                for (x, y) in a.feedback.iter_mut().zip(&b.feedback) {
                    *x |= *y;
                }
            }
        }
    }

    /// The feedback recorded for function `index` named `name` with a
    /// bytecode of `len` instructions, if this profile has it.
    pub fn feedback_for(&self, index: usize, name: &str, len: usize) -> Option<&[u8]> {
        self.functions.get(index).filter(|f| f.name == name && f.feedback.len() == len).map(|f| f.feedback.as_slice())
    }

    /// The file text.
    pub fn to_text(&self) -> String {
        let mut s = format!("{HEADER}\n");
        for (i, f) in self.functions.iter().enumerate() {
            let fb: String = if f.feedback.is_empty() { "-".into() } else { hex::encode(&f.feedback) };
            s.push_str(&format!("fn {i} {} {fb} {}\n", f.calls, f.name));
        }
        s
    }

    /// Parses [`Profile::to_text`]. Errors: `FILE:LINE: what`.
    pub fn parse(path: &Path, text: &str) -> Result<Profile, String> {
        let mut lines = text.lines().enumerate();
        if lines.next().map(|(_, l)| l) != Some(HEADER) {
            return Err(format!("{}:1: not an sxc profile (expected `{HEADER}`)", path.display()));
        }
        let mut functions = Vec::new();
        for (n, line) in lines {
            let bad = |what: &str| format!("{}:{}: {what}: `{line}`", path.display(), n + 1);
            let mut parts = line.splitn(5, ' ');
            let (Some("fn"), Some(index), Some(calls), Some(fb), Some(name)) = (parts.next(), parts.next(), parts.next(), parts.next(), parts.next()) else {
                return Err(bad("expected `fn INDEX CALLS FEEDBACK NAME`"));
            };
            if index.parse::<usize>().ok() != Some(functions.len()) {
                return Err(bad("functions must be numbered 0, 1, 2, ..."));
            }
            let calls = calls.parse().map_err(|_| bad("bad call count"))?;
            let feedback = if fb == "-" { Vec::new() } else { hex::decode(fb).map_err(|_| bad("bad feedback hex"))? };
            functions.push(FnProfile { name: name.to_string(), calls, feedback });
        }
        Ok(Profile { functions })
    }

    /// Reads a profile file.
    pub fn read(path: &Path) -> Result<Profile, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Profile::parse(path, &text)
    }
}

/// Where the server's workers put their snapshots at exit (`sxc serve
/// --record-profile`); written once every worker has stopped.
#[derive(Debug, Default)]
pub struct ProfileSink {
    merged: Mutex<Profile>,
}

impl ProfileSink {
    /// Merges one worker's snapshot.
    pub fn add(&self, p: &Profile) {
        self.merged.lock().unwrap_or_else(|e| e.into_inner()).merge(p);
    }
    /// Writes the merged profile to `path`.
    pub fn write(&self, path: &Path) -> Result<(), String> {
        let text = self.merged.lock().unwrap_or_else(|e| e.into_inner()).to_text();
        std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_merges() {
        let p = Profile {
            functions: vec![
                FnProfile { name: "f".into(), calls: 3, feedback: vec![0, 1, 2] },
                FnProfile { name: "a b".into(), calls: 0, feedback: vec![] },
            ],
        };
        let back = Profile::parse(Path::new("p"), &p.to_text()).unwrap();
        assert_eq!(back, p);
        let mut m = p.clone();
        m.merge(&Profile { functions: vec![FnProfile { name: "f".into(), calls: 2, feedback: vec![4, 0, 1] }] });
        assert_eq!(m.functions[0], FnProfile { name: "f".into(), calls: 5, feedback: vec![4, 1, 3] });
        assert_eq!(m.feedback_for(0, "f", 3), Some(&[4u8, 1, 3][..]));
        assert_eq!(m.feedback_for(0, "g", 3), None);
        assert!(Profile::parse(Path::new("p"), "nope").unwrap_err().contains("p:1: not an sxc profile"));
        assert!(Profile::parse(Path::new("p"), "sxc-profile 1\nfn 1 0 - f").unwrap_err().contains("p:2:"));
    }
}

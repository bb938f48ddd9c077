//! `lexset_filter`, the Python module: load a (signed) lexset build, match text, and follow a
//! lexset server with a background updater. Matching releases the GIL, so Python threads
//! match in parallel.
//!
//! ```python
//! import lexset_filter
//! f = lexset_filter.Filter.load("build-7.lexset", public_keys=["lM1On…="])
//! for hit in f.find("有人在卖法 輪 功的书"):
//!     print(hit.term, hit.risks, hit.char_start, hit.char_end)
//! ```

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use filter::updater::{Updater as RustUpdater, UpdaterConfig};
use filter::{Filter as RustFilter, HitKind, LoadError as RustLoadError, ManifestError, Span};
use filter::{PublicKey, SignedManifest};
use pyo3::create_exception;
use pyo3::exceptions::{PyIndexError, PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;

create_exception!(
    lexset_filter,
    LoadError,
    PyValueError,
    "A build that cannot be loaded: corrupt, or not what its manifest says."
);
create_exception!(
    lexset_filter,
    SignatureError,
    LoadError,
    "A manifest not signed by a trusted key: unsigned, an unknown key, or altered."
);
create_exception!(
    lexset_filter,
    ArtifactMismatchError,
    LoadError,
    "An artefact that is not the one its manifest names (hash, size, build, fold profile)."
);

fn load_error(error: RustLoadError) -> PyErr {
    let message = error.to_string();
    match error {
        RustLoadError::Manifest(
            ManifestError::Unsigned | ManifestError::UnknownKey(_) | ManifestError::BadSignature(_),
        ) => SignatureError::new_err(message),
        RustLoadError::Manifest(ManifestError::ArtifactMismatch { .. }) => {
            ArtifactMismatchError::new_err(message)
        }
        RustLoadError::Manifest(ManifestError::BadPublicKey(_)) => PyValueError::new_err(message),
        _ => LoadError::new_err(message),
    }
}

/// The trusted keys: `None` trusts none (unsigned builds accepted); an empty list is refused,
/// since it would mean the same and is more likely a key list that failed to load.
fn public_keys(keys: Option<Vec<String>>) -> PyResult<Vec<PublicKey>> {
    if keys.as_ref().is_some_and(Vec::is_empty) {
        return Err(PyValueError::new_err(
            "public_keys is empty: give at least one key, or None to accept unsigned builds",
        ));
    }
    keys.unwrap_or_default()
        .iter()
        .map(|key| PublicKey::parse(key).map_err(|e| PyValueError::new_err(e.to_string())))
        .collect()
}

/// One hit: the rule's term, its risk codes, and its span in the text as code point
/// offsets (`char_start`, `char_end`: what `text[char_start:char_end]` slices) and as UTF-8
/// byte offsets.
#[pyclass(frozen, get_all, module = "lexset_filter")]
struct Hit {
    term: String,
    /// `keyword` or `all_of`.
    kind: &'static str,
    risks: Vec<String>,
    byte_start: usize,
    byte_end: usize,
    char_start: usize,
    char_end: usize,
}

#[pymethods]
impl Hit {
    fn __repr__(&self) -> String {
        format!(
            "Hit(term={:?}, kind={:?}, risks={:?}, char_start={}, char_end={})",
            self.term, self.kind, self.risks, self.char_start, self.char_end
        )
    }
}

/// A hit without its strings: indexes into its `Hits`' tables of distinct terms and risk
/// sets.
struct CompactHit {
    term: u32,
    risks: u32,
    kind: HitKind,
    span: Span,
}

/// The hits of one text, a sequence of `Hit` (`len`, indexing, iteration, truth). Built
/// without a Python object per hit: a long text can have hundreds of thousands, and making
/// them all would cost as much as the matching (`docs/benchmarks.md`, "Bindings"); each
/// `Hit` is made when it is read.
#[pyclass(frozen, sequence, module = "lexset_filter")]
struct Hits {
    hits: Vec<CompactHit>,
    terms: Vec<String>,
    risk_sets: Vec<Vec<String>>,
    #[pyo3(get)]
    build_number: u64,
}

impl Hits {
    /// Copies `found`, each distinct term and risk set once (found by address: a filter's
    /// hits borrow them from its tables).
    fn of(found: Vec<filter::Hit<'_>>, build_number: u64) -> Self {
        let mut terms = Vec::new();
        let mut risk_sets = Vec::new();
        let mut term_index: HashMap<usize, u32> = HashMap::new();
        let mut risks_index: HashMap<usize, u32> = HashMap::new();
        let hits = found
            .iter()
            .map(|hit| {
                let term = *term_index
                    .entry(hit.term.as_ptr() as usize)
                    .or_insert_with(|| {
                        terms.push(hit.term.to_owned());
                        (terms.len() - 1) as u32
                    });
                let risks = *risks_index
                    .entry(hit.risks.as_ptr() as usize)
                    .or_insert_with(|| {
                        risk_sets.push(hit.risks.to_vec());
                        (risk_sets.len() - 1) as u32
                    });
                CompactHit {
                    term,
                    risks,
                    kind: hit.kind,
                    span: hit.span,
                }
            })
            .collect();
        Self {
            hits,
            terms,
            risk_sets,
            build_number,
        }
    }
}

#[pymethods]
impl Hits {
    fn __len__(&self) -> usize {
        self.hits.len()
    }

    fn __getitem__(&self, index: isize) -> PyResult<Hit> {
        let at = if index < 0 {
            index + self.hits.len() as isize
        } else {
            index
        };
        let hit = usize::try_from(at)
            .ok()
            .and_then(|at| self.hits.get(at))
            .ok_or_else(|| PyIndexError::new_err("hit index out of range"))?;
        Ok(Hit {
            term: self.terms[hit.term as usize].clone(),
            kind: match hit.kind {
                HitKind::Keyword => "keyword",
                HitKind::AllOf => "all_of",
            },
            risks: self.risk_sets[hit.risks as usize].clone(),
            byte_start: hit.span.byte_start,
            byte_end: hit.span.byte_end,
            char_start: hit.span.char_start,
            char_end: hit.span.char_end,
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "Hits(build_number={}, len={})",
            self.build_number,
            self.hits.len()
        )
    }
}

/// Matches `text` with the GIL released.
fn find_in(py: Python<'_>, filter: &RustFilter, build_number: u64, text: &str) -> Hits {
    py.detach(|| Hits::of(filter.find(text), build_number))
}

/// A loaded build.
#[pyclass(frozen, module = "lexset_filter")]
struct Filter {
    filter: RustFilter,
    build_number: u64,
}

impl Filter {
    fn verified(artifact: &[u8], manifest: &[u8], keys: &[PublicKey]) -> PyResult<Self> {
        let signed = SignedManifest::from_json(manifest)
            .map_err(|e| load_error(RustLoadError::Manifest(e)))?;
        let (filter, manifest) =
            RustFilter::load_verified(artifact, &signed, keys).map_err(load_error)?;
        Ok(Self {
            filter,
            build_number: manifest.build_number,
        })
    }

    fn unverified(artifact: &[u8]) -> PyResult<Self> {
        let filter = RustFilter::load(artifact).map_err(|e| load_error(e.into()))?;
        let build_number = filter.header().build_number;
        Ok(Self {
            filter,
            build_number,
        })
    }
}

fn read(path: &PathBuf) -> PyResult<Vec<u8>> {
    std::fs::read(path).map_err(|e| PyOSError::new_err(format!("{}: {e}", path.display())))
}

#[pymethods]
impl Filter {
    /// Loads the artefact at `path`. With `public_keys` (base64, as `GET /v1/signing-keys`
    /// lists them) its manifest must be signed by one of them and name this very file; the
    /// manifest is `manifest`, by default the file beside it (`build-7.lexset` →
    /// `build-7.manifest.json`, as the updater's cache keeps them). With neither, only the
    /// artefact's own checksum is checked.
    #[staticmethod]
    #[pyo3(signature = (path, public_keys=None, manifest=None))]
    fn load(
        py: Python<'_>,
        path: PathBuf,
        public_keys: Option<Vec<String>>,
        manifest: Option<PathBuf>,
    ) -> PyResult<Self> {
        let keys = self::public_keys(public_keys)?;
        let manifest = match manifest {
            Some(manifest) => Some(manifest),
            None if !keys.is_empty() => Some(path.with_extension("manifest.json")),
            None => None,
        };
        let artifact = read(&path)?;
        let manifest = manifest.as_ref().map(read).transpose()?;
        py.detach(|| match manifest {
            Some(manifest) => Self::verified(&artifact, &manifest, &keys),
            None => Self::unverified(&artifact),
        })
    }

    /// Loads an artefact from bytes; with `manifest` (its JSON bytes) and `public_keys` as
    /// in `load`.
    #[staticmethod]
    #[pyo3(signature = (artifact, manifest=None, public_keys=None))]
    fn from_bytes(
        py: Python<'_>,
        artifact: &[u8],
        manifest: Option<&[u8]>,
        public_keys: Option<Vec<String>>,
    ) -> PyResult<Self> {
        let keys = self::public_keys(public_keys)?;
        if manifest.is_none() && !keys.is_empty() {
            return Err(SignatureError::new_err(
                "public keys were given but no manifest: nothing to verify",
            ));
        }
        py.detach(|| match manifest {
            Some(manifest) => Self::verified(artifact, manifest, &keys),
            None => Self::unverified(artifact),
        })
    }

    /// The build's number.
    #[getter]
    fn build_number(&self) -> u64 {
        self.build_number
    }

    /// Every hit in `text`, as the Rust `Filter::find` gives them. Releases the GIL.
    fn find(&self, py: Python<'_>, text: &str) -> Hits {
        find_in(py, &self.filter, self.build_number, text)
    }
}

/// Follows a lexset server in a background thread, keeping the newest verified build loaded
/// (and the last good one in `cache_dir`, for a restart without the server).
#[pyclass(frozen, module = "lexset_filter")]
struct Updater {
    updater: RustUpdater,
}

#[pymethods]
impl Updater {
    /// Starts following `server` (e.g. `http://127.0.0.1:8080`) with `token`; builds must be
    /// signed by one of `public_keys` (none: unsigned builds are accepted). Polls every
    /// `poll_interval` seconds when the event stream is unavailable, or always when
    /// `follow_events` is false.
    #[new]
    #[pyo3(signature = (server, cache_dir, token=None, public_keys=None, poll_interval=30.0, follow_events=true))]
    fn new(
        py: Python<'_>,
        server: String,
        cache_dir: PathBuf,
        token: Option<String>,
        public_keys: Option<Vec<String>>,
        poll_interval: f64,
        follow_events: bool,
    ) -> PyResult<Self> {
        let mut config = UpdaterConfig::new(server, cache_dir);
        config.token = token;
        config.trusted_keys = self::public_keys(public_keys)?;
        config.poll_interval = Duration::try_from_secs_f64(poll_interval)
            .map_err(|e| PyValueError::new_err(format!("poll_interval: {e}")))?;
        config.follow_events = follow_events;
        let updater = py
            .detach(|| RustUpdater::start(config))
            .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        Ok(Self { updater })
    }

    /// The number of the build in use, or None before the first.
    #[getter]
    fn build_number(&self) -> Option<u64> {
        self.updater.build_number()
    }

    /// Why the last update failed (a refused build, an unreachable server), or None.
    #[getter]
    fn last_error(&self) -> Option<String> {
        self.updater.last_error()
    }

    /// Waits up to `timeout` seconds until build `at_least` or a newer one is in use;
    /// returns whether it is. Releases the GIL.
    #[pyo3(signature = (at_least=0, timeout=30.0))]
    fn wait_for_build(&self, py: Python<'_>, at_least: u64, timeout: f64) -> PyResult<bool> {
        if timeout.is_nan() || timeout < 0.0 {
            return Err(PyValueError::new_err(
                "timeout must be a number of seconds, 0 or more",
            ));
        }
        // Longer than a Duration holds (float('inf')): no deadline.
        let timeout = Duration::try_from_secs_f64(timeout).unwrap_or(Duration::MAX);
        Ok(py.detach(|| self.updater.wait_for_build(at_least, timeout)))
    }

    /// Every hit in `text` under the build in use now (one build for the whole match, even
    /// if a newer one arrives meanwhile). Releases the GIL. Raises RuntimeError before the
    /// first build.
    fn find(&self, py: Python<'_>, text: &str) -> PyResult<Hits> {
        let build = self
            .updater
            .current()
            .ok_or_else(|| PyRuntimeError::new_err("no build loaded yet"))?;
        Ok(find_in(
            py,
            &build.filter,
            build.manifest.build_number,
            text,
        ))
    }
}

#[pymodule]
fn lexset_filter(module: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = module.py();
    module.add_class::<Filter>()?;
    module.add_class::<Hit>()?;
    module.add_class::<Hits>()?;
    module.add_class::<Updater>()?;
    module.add("LoadError", py.get_type::<LoadError>())?;
    module.add("SignatureError", py.get_type::<SignatureError>())?;
    module.add(
        "ArtifactMismatchError",
        py.get_type::<ArtifactMismatchError>(),
    )?;
    Ok(())
}

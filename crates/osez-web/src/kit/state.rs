//! The state the handlers share: settings, limits, CPU pools and, once
//! start-up is over, the store, the secrets and the searchable directory.

use std::sync::{Arc, OnceLock, RwLock};

use osez_core::{Geography, Kind};
use osez_search::{Engine, ResourceEngine};
use osez_store::Store;

use crate::kit::config::WebConfig;
use crate::kit::limits::Limits;
use crate::kit::memo::Memo;
use crate::kit::page::Base;
use crate::kit::passwords::PasswordWork;
use crate::kit::pool::CpuPool;
use crate::kit::tokens::Secrets;
use crate::kit::vote_queue::{self, VoteQueue};
use crate::kit::zero_results;
use crate::kit::zero_results::ZeroResultLog;

/// Key figures of the directory, computed once per engine.
#[derive(Debug, Clone, Default)]
pub struct Figures {
    pub total: usize,
    pub activateurs: usize,
    pub ambassadeurs: usize,
    pub departments: usize,
    pub remote: usize,
    pub demo: usize,
}

/// The searchable directory: an engine and its figures, swapped whole.
pub struct Directory {
    pub engine: Engine,
    pub figures: Figures,
}

impl Directory {
    pub fn new(engine: Engine) -> Self {
        let a = engine.advisers();
        let mut departments: Vec<&str> = a.iter().map(|x| x.department.as_str()).collect();
        departments.sort_unstable();
        departments.dedup();
        let figures = Figures {
            total: a.len(),
            activateurs: a.iter().filter(|x| x.kind == Kind::Activateur).count(),
            ambassadeurs: a.iter().filter(|x| x.kind == Kind::AmbassadeurIa).count(),
            departments: departments.len(),
            remote: a.iter().filter(|x| x.remote).count(),
            demo: a.iter().filter(|x| x.is_demo).count(),
        };
        Directory { engine, figures }
    }
}

/// The published resources, searchable, swapped whole when their version
/// changes.
pub struct Library {
    pub engine: ResourceEngine,
    /// The resources version it was built from.
    pub version: i64,
}

impl Library {
    /// The published resources of `store`, indexed off the async runtime.
    pub async fn load(store: &Store) -> Result<Library, String> {
        // Version first: a change made while reading is seen at the next check.
        let version = store.resources_version().await.map_err(|e| e.to_string())?;
        let resources = store.published_resources().await.map_err(|e| e.to_string())?;
        let engine = tokio::task::spawn_blocking(move || ResourceEngine::new(resources))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        Ok(Library { engine, version })
    }

    /// No resource (before the first load).
    pub fn empty() -> Self {
        Library { engine: ResourceEngine::new(Vec::new()).expect("an empty index builds"), version: -1 }
    }
}

/// What the handlers need once start-up is over.
pub struct Ready {
    pub store: Store,
    pub secrets: Secrets,
    /// Searches that found nothing, waiting to be written in batches.
    pub zero_results: ZeroResultLog,
    /// Consultation votes waiting for their batch's commit.
    pub votes: VoteQueue,
    /// What features compute from the store and keep while current.
    pub memo: Memo,
    directory: RwLock<Arc<Directory>>,
    library: RwLock<Arc<Library>>,
    changed: tokio::sync::Notify,
}

impl Ready {
    pub fn directory(&self) -> Arc<Directory> {
        match self.directory.read() {
            Ok(d) => d.clone(),
            // A writer panicked mid-swap; the Arc inside is still whole.
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Says that this node changed the directory in the database (a
    /// profile hidden or published), so that it is reloaded now rather than
    /// at the next periodic check.
    pub fn directory_changed(&self) {
        self.changed.notify_one();
    }

    /// Completes after [`Ready::directory_changed`] was called (at once if
    /// it was called since the last wait).
    pub async fn wait_directory_changed(&self) {
        self.changed.notified().await;
    }

    pub fn library(&self) -> Arc<Library> {
        match self.library.read() {
            Ok(l) => l.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Replaces the published resources (at start, after an edit, or when
    /// another node changed them).
    pub fn replace_library(&self, library: Library) {
        let fresh = Arc::new(library);
        match self.library.write() {
            Ok(mut l) => *l = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
    }

    /// Replaces the directory (after an import or a reindex).
    pub fn replace_directory(&self, directory: Directory) {
        let fresh = Arc::new(directory);
        match self.directory.write() {
            Ok(mut d) => *d = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
    }
}

pub struct AppState {
    pub geo: Arc<Geography>,
    pub config: WebConfig,
    pub(crate) limits: Limits,
    pub(crate) passwords: PasswordWork,
    /// Making and checking proof-of-work challenges (PBKDF2).
    pub(crate) challenges: CpuPool,
    /// Rendering and checking editors' Markdown documents (a body is up to
    /// 200 KB).
    pub(crate) documents: CpuPool,
    /// Consultations' opinion groups (PCA and k-means over the votes).
    pub(crate) analysis: CpuPool,
    /// The assistant's replies (understanding, searches, recommendations:
    /// a few milliseconds each, off the async runtime).
    pub(crate) assistant: CpuPool,
    /// The optional language model that rewords the assistant's replies.
    pub(crate) llm: Option<crate::kit::llm::LlmClient>,
    /// The optional local embedding model and the intent classifier, set
    /// once they are ready (training takes seconds after start-up; the
    /// assistant reads with its rules until then).
    pub(crate) semantic: OnceLock<Arc<osez_assistant::semantic::Semantic>>,
    /// The attachments' directory, when one is configured.
    pub(crate) files: Option<crate::kit::files::Files>,
    /// Uploads that may stream at once (editors only; each holds a disk
    /// write and a hash).
    pub(crate) uploads: tokio::sync::Semaphore,
    /// Wakes the mail worker when a mail was just written.
    pub mail_wake: Arc<tokio::sync::Notify>,
    ready: OnceLock<Ready>,
}

impl AppState {
    pub fn new(geo: Arc<Geography>, config: WebConfig) -> Arc<Self> {
        let limits = Limits::new(&config);
        let passwords = PasswordWork::new(config.cpu_workers);
        let challenges = CpuPool::new(config.cpu_workers);
        let documents = CpuPool::new(config.cpu_workers);
        // One at a time: a large consultation's groups take seconds of a
        // core, and pages must keep the other.
        let analysis = CpuPool::new(Some(1));
        let assistant = CpuPool::new(config.cpu_workers);
        let llm = config.llm.as_ref().and_then(crate::kit::llm::LlmClient::new);
        let files = config
            .files_dir
            .clone()
            .map(|dir| crate::kit::files::Files::new(dir, config.max_video_mb.saturating_mul(1024 * 1024)));
        if let Some(f) = &files {
            // What crashed uploads left: a directory listing, once, at start.
            f.sweep();
        }
        Arc::new(AppState {
            geo,
            config,
            limits,
            passwords,
            challenges,
            documents,
            analysis,
            assistant,
            llm,
            semantic: OnceLock::new(),
            files,
            uploads: tokio::sync::Semaphore::new(2),
            mail_wake: Default::default(),
            ready: OnceLock::new(),
        })
    }

    /// Lets the assistant read with the embedding model from now on (once).
    pub fn set_semantic(&self, semantic: Arc<osez_assistant::semantic::Semantic>) {
        let _ = self.semantic.set(semantic);
    }

    /// Marks the service ready: `/healthz` answers 200 from now on. Starts
    /// the writers of searches without results and of votes on the current
    /// runtime (call [`ZeroResultLog::close`] and [`VoteQueue::close`] at
    /// shutdown).
    pub fn set_ready(&self, store: Store, secrets: Secrets, directory: Directory) {
        let _ = self.ready.set(Ready {
            zero_results: ZeroResultLog::start(store.clone(), zero_results::QUEUE),
            votes: VoteQueue::start(store.clone(), vote_queue::QUEUE),
            memo: Memo::default(),
            store,
            secrets,
            directory: RwLock::new(Arc::new(directory)),
            library: RwLock::new(Arc::new(Library::empty())),
            changed: Default::default(),
        });
    }

    /// Forgets rate-limit state of addresses not seen for a while; call it
    /// now and then.
    pub fn forget_idle_clients(&self) {
        self.limits.forget_idle();
    }

    /// The frame of every page of this instance (the demo banner).
    pub(crate) fn base(&self) -> Base {
        Base::new(is_demo(self))
    }

    pub fn ready(&self) -> Option<&Ready> {
        self.ready.get()
    }
}

pub(crate) fn is_demo(state: &AppState) -> bool {
    state.ready().is_some_and(|r| r.directory().figures.demo > 0)
}

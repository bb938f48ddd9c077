//! Settings from flags and environment, with defaults that need nothing.

use std::path::PathBuf;

const DEFAULT_BIND: &str = "127.0.0.1:8080";
const DEFAULT_MAX_UPLOAD_BYTES: usize = 64 * 1024 * 1024;
const DEFAULT_DATABASE_READERS: u32 = 4;

/// Where the service listens and keeps its data.
#[derive(Debug, Clone, clap::Args)]
pub struct Settings {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "LEXSET_BIND", default_value = DEFAULT_BIND)]
    pub bind: String,
    /// Directory for the embedded SQLite database and this replica's search index (a cache);
    /// build artefacts live in the database.
    #[arg(long, env = "LEXSET_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// Database URL (`sqlite://…` or `postgres://…`); default: a SQLite file in the data dir.
    #[arg(long, env = "LEXSET_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Connections of a PostgreSQL pool (default 10); SQLite writes through one.
    #[arg(long, env = "LEXSET_DATABASE_MAX_CONNECTIONS")]
    pub database_max_connections: Option<u32>,
    /// SQLite: connections that serve reads beside the one writer, so that no read waits for
    /// an import or a build (PostgreSQL reads share its pool).
    #[arg(long, env = "LEXSET_DATABASE_READERS", default_value_t = DEFAULT_DATABASE_READERS)]
    pub database_readers: u32,
    /// A read replica of the database (`postgres://…`) that filter-service pulls (build list,
    /// latest, metadata, artefact) read from; a build the replica does not have yet is read
    /// from the primary.
    #[arg(long, env = "LEXSET_READ_DATABASE_URL")]
    pub read_database_url: Option<String>,
    /// Similarity (0–1] from which questions count as near duplicates; default from
    /// `seeds/near-duplicates.toml` (0.8).
    #[arg(long, env = "LEXSET_NEAR_DUPLICATE_THRESHOLD")]
    pub near_duplicate_threshold: Option<f64>,
    /// The largest file `POST /v1/imports` accepts, in bytes.
    #[arg(long, env = "LEXSET_MAX_UPLOAD_BYTES", default_value_t = DEFAULT_MAX_UPLOAD_BYTES)]
    pub max_upload_bytes: usize,
    /// Four eyes: refuse an approval by the entry's creator or last editor (`false` for a team
    /// of one).
    #[arg(long, env = "LEXSET_FOUR_EYES", default_value_t = true, action = clap::ArgAction::Set)]
    pub four_eyes: bool,
    /// Warning lint rules to switch off, comma-separated (error rules cannot be).
    #[arg(
        long = "disable-lint",
        env = "LEXSET_DISABLED_LINTS",
        value_delimiter = ','
    )]
    pub disabled_lints: Vec<String>,
    /// This replica's name in task leases; default `<host name>:<data dir>`. Replicas sharing
    /// a database need distinct, stable names.
    #[arg(long, env = "LEXSET_REPLICA_ID")]
    pub replica_id: Option<String>,
    /// The ed25519 private key (PKCS#8 PEM, from `lexset signing-key create`) build manifests
    /// are signed with; without it they are published unsigned. Replicas share the file.
    #[arg(long, env = "LEXSET_SIGNING_KEY_FILE")]
    pub signing_key_file: Option<PathBuf>,
}

impl Settings {
    /// The defaults of every flag, on `data_dir` (what tests and benchmarks start from).
    pub fn with_data_dir(data_dir: PathBuf) -> Self {
        Self {
            bind: DEFAULT_BIND.to_owned(),
            data_dir,
            database_url: None,
            database_max_connections: None,
            database_readers: DEFAULT_DATABASE_READERS,
            read_database_url: None,
            near_duplicate_threshold: None,
            max_upload_bytes: DEFAULT_MAX_UPLOAD_BYTES,
            four_eyes: true,
            disabled_lints: Vec::new(),
            replica_id: None,
            signing_key_file: None,
        }
    }

    /// Where operators add rule profiles (`*.toml`) beside the shipped ones.
    pub fn rule_profiles_dir(&self) -> PathBuf {
        self.data_dir.join("rule-profiles")
    }

    /// The search index: a cache of the database, rebuilt when missing.
    pub fn search_index_dir(&self) -> PathBuf {
        self.data_dir.join("search-index")
    }

    /// The database URL in force: the configured one, or `<data_dir>/lexset.db`.
    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("lexset.db").display()
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_to_a_sqlite_file_in_the_data_dir() {
        let settings = Settings::with_data_dir(PathBuf::from("/tmp/lexset"));
        assert_eq!(
            settings.database_url(),
            "sqlite:///tmp/lexset/lexset.db?mode=rwc"
        );
    }
}

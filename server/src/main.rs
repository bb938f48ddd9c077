//! The `lexset` command.

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use lexset::config::Settings;
use lexset::coverage::render;
use lexset::domain::user::CLI_ACTOR;
use lexset::messages::Lang;
use lexset::services::audit::AuditStamp;
use lexset::services::filings::FilingRequest;
use lexset::startup::{self, Application};

#[derive(Parser)]
#[command(
    name = "lexset",
    version,
    about = "Keyword lexicons and test sets for generative-AI filings"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service (migrates the database and loads the seeds first).
    Serve(Settings),
    /// Recompute every dedup key under the current fold profile and print what changed,
    /// including live entries that now share a key (they are reported, never merged).
    Refold(Settings),
    /// Print the coverage report of a rule profile; exits with status 1 when it fails, so it
    /// can gate a pipeline.
    Coverage {
        #[command(flatten)]
        settings: Settings,
        /// Rule profile id.
        #[arg(long, default_value = lexset::coverage::rules::DEFAULT_PROFILE)]
        profile: String,
        /// Statuses counted, comma-separated.
        #[arg(long, default_value = "approved")]
        status: String,
        #[arg(long, value_enum, default_value_t = CoverageFormat::Table)]
        format: CoverageFormat,
        /// A question set id: the question rules count its members as frozen.
        #[arg(long)]
        set: Option<i64>,
    },
    /// Evaluate a published build against the question sets (and a benign corpus) and print
    /// the report as JSON.
    Evaluate {
        #[command(flatten)]
        settings: Settings,
        /// Build number.
        #[arg(long)]
        build: i64,
        /// Question statuses evaluated, comma-separated.
        #[arg(long, default_value = "approved")]
        status: String,
        /// A benign corpus file.
        #[arg(long)]
        corpus: Option<std::path::PathBuf>,
        /// `text` (one text a line) or `jsonl`.
        #[arg(long, default_value = "text")]
        corpus_format: String,
    },
    /// Import a keyword or question file (CSV, XLSX, TXT, JSONL): prints a row-by-row report
    /// summary; nothing is written with --dry-run, and a failure writes nothing at all.
    Import {
        #[command(flatten)]
        settings: Settings,
        #[command(flatten)]
        request: ImportRequest,
    },
    /// Write an export: keywords.xlsx, keywords.csv, questions.xlsx, questions.csv,
    /// registration-keywords.csv or registration-questions.xlsx.
    Export {
        #[command(flatten)]
        settings: Settings,
        /// Which export.
        file: String,
        /// Where to write it.
        #[arg(long)]
        out: std::path::PathBuf,
        /// Statuses exported, comma-separated.
        #[arg(long, default_value = "approved")]
        status: String,
        /// Keywords only: those compiled into this build.
        #[arg(long)]
        build: Option<i64>,
        #[command(flatten)]
        questions: QuestionExportFilter,
    },
    /// Assemble a filing package (the keyword workbook of a published build, question-set
    /// workbooks, the coverage report, test-run workbooks and reports, and manifest.json with
    /// each file's sha256), store it, and write its archive; prints its id and sha256.
    Filing {
        #[command(flatten)]
        settings: Settings,
        /// The published build whose keywords are filed.
        #[arg(long)]
        build: i64,
        /// A frozen question set to file (repeat for several).
        #[arg(long = "set")]
        sets: Vec<i64>,
        /// A test run to file (repeat for several).
        #[arg(long = "run")]
        runs: Vec<i64>,
        /// The rule profile of the coverage report and the run reports.
        #[arg(long, default_value = lexset::coverage::rules::DEFAULT_PROFILE)]
        profile: String,
        /// Where to write the archive.
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Frozen question sets: compose, sample, list, members, show, diff, retire (export one with
    /// `lexset export --set ID`, check one with `lexset coverage --set ID`).
    Set {
        #[command(subcommand)]
        action: SetAction,
    },
    /// Rebuild the search index from the database (stop `lexset serve` on this data directory
    /// first: the index has one writer). The server also checks the index at start and
    /// rebuilds it when stale, so this is rarely needed.
    Reindex(Settings),
    /// Manage API tokens on the server's machine; works before any token exists (how the
    /// first admin token is made).
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Manage users (the people and services tokens belong to) on the server's machine; works
    /// before any token exists.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// The ed25519 key build manifests are signed with (`docs/artifact-format.md`).
    SigningKey {
        #[command(subcommand)]
        action: SigningKeyAction,
    },
    /// Print the OpenAPI document (as committed in openapi/openapi.json).
    Openapi,
}

#[derive(Subcommand)]
enum SigningKeyAction {
    /// Write a new private key to a file (never overwriting one; readable by its owner only)
    /// and print its key id and public key. Serve with `--signing-key-file FILE` to sign new
    /// builds with it; give filter services the public key.
    Create {
        /// Where to write the key (PKCS#8 PEM).
        #[arg(long)]
        out: std::path::PathBuf,
    },
}

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    // Logs go to stderr: stdout carries the output of `openapi`, `coverage` and `refold`.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    match Cli::parse().command {
        Command::Openapi => {
            print!("{}", startup::openapi_json());
            std::process::ExitCode::SUCCESS
        }
        Command::Serve(settings) => exit_code(serve(&settings).await),
        Command::Refold(settings) => exit_code(refold(&settings).await),
        Command::Reindex(settings) => exit_code(reindex(&settings).await),
        Command::Token {
            action: TokenAction::Create { settings, token },
        } => exit_code(create_token(&settings, token).await),
        Command::User {
            action: UserAction::Create { settings, name },
        } => exit_code(create_user(&settings, &name).await),
        Command::Import { settings, request } => exit_code(import(&settings, request).await),
        Command::SigningKey {
            action: SigningKeyAction::Create { out },
        } => exit_code(create_signing_key(&out)),
        Command::Export {
            settings,
            file,
            out,
            status,
            build,
            questions,
        } => exit_code(export(&settings, &file, &out, status, build, questions).await),
        Command::Set { action } => exit_code(question_set(action).await),
        Command::Filing {
            settings,
            build,
            sets,
            runs,
            profile,
            out,
        } => exit_code(
            filing(
                &settings,
                FilingRequest {
                    build,
                    sets,
                    runs,
                    profile,
                },
                &out,
            )
            .await,
        ),
        Command::Evaluate {
            settings,
            build,
            status,
            corpus,
            corpus_format,
        } => {
            exit_code(evaluate(&settings, build, &status, corpus.as_deref(), &corpus_format).await)
        }
        Command::Coverage {
            settings,
            profile,
            status,
            format,
            set,
        } => match coverage(&settings, &profile, &status, format, set).await {
            Ok(true) => std::process::ExitCode::SUCCESS,
            Ok(false) => std::process::ExitCode::from(1),
            Err(error) => {
                tracing::error!("{}", in_locale(&*error));
                std::process::ExitCode::from(2)
            }
        },
    }
}

fn create_signing_key(out: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    let public = lexset::services::signing::create_key_file(out)?;
    println!("key_id: {}", public.key_id());
    println!("public_key: {}", public.to_base64());
    Ok(())
}

fn exit_code(result: Result<(), Box<dyn std::error::Error>>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{}", in_locale(&*error));
            std::process::ExitCode::FAILURE
        }
    }
}

/// `error` in the locale's language when it is one of lexset's own, else as it displays.
fn in_locale(error: &(dyn std::error::Error + 'static)) -> String {
    lexset::services::message_of(error).map_or_else(
        || error.to_string(),
        |message| message.render(Lang::from_locale()),
    )
}

#[derive(Subcommand)]
enum TokenAction {
    /// Create a token for a user and print its secret (shown only now). A user that does not
    /// exist yet is created with it (and says so).
    Create {
        #[command(flatten)]
        settings: Settings,
        #[command(flatten)]
        token: TokenRequest,
    },
}

#[derive(clap::Args)]
struct TokenRequest {
    /// The user it belongs to; recorded as the actor of its changes.
    #[arg(long)]
    user: String,
    /// A label telling the user's tokens apart (e.g. laptop); default the user's name.
    #[arg(long)]
    name: Option<String>,
    /// reader, annotator, reviewer or admin.
    #[arg(long)]
    role: String,
    /// When it stops working (RFC 3339); default never.
    #[arg(long)]
    expires_at: Option<String>,
}

#[derive(Subcommand)]
enum UserAction {
    /// Create a user (unique name); give it tokens with `lexset token create --user NAME`.
    Create {
        #[command(flatten)]
        settings: Settings,
        /// The user's name: the actor recorded for every change made with its tokens.
        name: String,
    },
}

async fn create_token(
    settings: &Settings,
    request: TokenRequest,
) -> Result<(), Box<dyn std::error::Error>> {
    use lexset::services::tokens::{self, NewToken, UnknownUser};
    let now = chrono::Utc::now();
    let new = NewToken {
        user: lexset::domain::user::UserName::parse("user", &request.user)?,
        name: request
            .name
            .as_deref()
            .map(lexset::domain::text::TokenName::parse)
            .transpose()?,
        role: lexset::domain::role::Role::parse(&request.role)?,
        expires_at: request
            .expires_at
            .as_deref()
            .map(|raw| lexset::domain::time::parse_expiry(raw, now))
            .transpose()?,
    };
    let (db, _) = startup::open_store(settings).await?;
    let audit = AuditStamp::new(CLI_ACTOR, None, "lexset token create", "").creating("/v1/tokens");
    let created = tokens::create(&db, new, (CLI_ACTOR, Some(&audit)), UnknownUser::Create).await?;
    let tokens::UserToken { token, user } = &created.token;
    if created.user_created {
        eprintln!("user {} `{}` created", user.id, user.name);
    }
    eprintln!(
        "token {} `{}` of user `{}` ({}) created; its secret, shown only now:",
        token.id,
        token.name,
        user.name,
        token.role.as_str()
    );
    println!("{}", created.secret);
    Ok(())
}

async fn create_user(settings: &Settings, name: &str) -> Result<(), Box<dyn std::error::Error>> {
    let name = lexset::domain::user::UserName::parse("name", name)?;
    let (db, _) = startup::open_store(settings).await?;
    let audit = AuditStamp::new(CLI_ACTOR, None, "lexset user create", "").creating("/v1/users");
    let user = lexset::services::users::create(&db, name, &audit).await?;
    eprintln!("user {} `{}` created", user.id, user.name);
    Ok(())
}

async fn reindex(settings: &Settings) -> Result<(), Box<dyn std::error::Error>> {
    let (db, dedup) = startup::open_store(settings).await?;
    let started = std::time::Instant::now();
    let directory = settings.search_index_dir();
    let entries =
        lexset::services::search::Indexer::reindex(&db, &directory, dedup.profile).await?;
    println!(
        "indexed {entries} entries into {} in {:.2} s",
        directory.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ImportKindArg {
    Keyword,
    Question,
}

impl ImportKindArg {
    fn as_str(self) -> &'static str {
        match self {
            Self::Keyword => "keyword",
            Self::Question => "question",
        }
    }
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum CoverageFormat {
    Table,
    Json,
    Csv,
}

/// Prints the report; `Ok(true)` when the profile passes.
async fn coverage(
    settings: &Settings,
    profile: &str,
    status: &str,
    format: CoverageFormat,
    set: Option<i64>,
) -> Result<bool, Box<dyn std::error::Error>> {
    let (db, _) = startup::open_store(settings).await?;
    let taxonomy = lexset::taxonomy::Taxonomy::shipped()?;
    let statuses = lexset::domain::status::EntryStatus::parse_counted(Some(status))?;
    let (report, _) = lexset::services::coverage::report(
        &db,
        &taxonomy,
        &settings.rule_profiles_dir(),
        profile,
        &statuses,
        set,
    )
    .await?;
    match format {
        CoverageFormat::Table => print!("{}", render::table(&report)),
        CoverageFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        CoverageFormat::Csv => {
            use std::io::Write;
            std::io::stdout().write_all(&render::csv(&report)?)?;
        }
    }
    Ok(report.passed)
}

/// The `import` subcommand's arguments.
#[derive(clap::Args)]
struct ImportRequest {
    /// The file; its extension names the format unless --format does.
    file: std::path::PathBuf,
    #[arg(long, value_enum, default_value_t = ImportKindArg::Keyword)]
    kind: ImportKindArg,
    /// csv, txt, jsonl, json or xlsx.
    #[arg(long)]
    format: Option<String>,
    /// The XLSX sheet (default: the first whose header names a term or question column).
    #[arg(long)]
    sheet: Option<String>,
    /// The risk of rows that name none (any spelling: A.1.f, 宣扬暴力、淫秽色情 …).
    #[arg(long)]
    risk: Option<String>,
    /// A TOML file of labels to risk codes, e.g. `"色情词库" = "A.1.f"`; applies to cells
    /// and to the file name.
    #[arg(long)]
    map: Option<std::path::PathBuf>,
    /// The kind of question rows that do not say (generation, must_refuse, must_not_refuse).
    /// Not given: a 是否应拒答 column of 是 / 否 files rows as must_refuse / must_not_refuse,
    /// other rows are generation questions.
    #[arg(long)]
    question_kind: Option<String>,
    /// The aspect of must_not_refuse rows that name none (history, 历史 …).
    #[arg(long)]
    aspect: Option<String>,
    /// The expected behaviour of question rows that do not say: refuse or answer.
    #[arg(long)]
    behavior: Option<String>,
    /// Fill missing 预期输出结果 and 判定标准 from the answer templates.
    #[arg(long)]
    templates: bool,
    /// Status of the imported entries: draft or approved.
    #[arg(long, default_value = "draft")]
    status: String,
    #[arg(long)]
    dry_run: bool,
    /// Write the full row-by-row report (JSON) here.
    #[arg(long)]
    report: Option<std::path::PathBuf>,
}

async fn import(
    settings: &Settings,
    request: ImportRequest,
) -> Result<(), Box<dyn std::error::Error>> {
    use lexset::services::imports;
    let state = startup::app_state(settings).await?;
    let file_name = request
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned());
    let options = imports::ImportRequest {
        kind: Some(request.kind.as_str().to_owned()),
        format: request.format,
        file_name,
        sheet: request.sheet,
        risk: request.risk,
        mapping: match request.map {
            Some(path) => toml::from_str(&std::fs::read_to_string(path)?)?,
            None => Default::default(),
        },
        question_kind: request.question_kind,
        aspect: request.aspect,
        behavior: request.behavior,
        templates: request.templates,
        status: Some(request.status),
        dry_run: request.dry_run,
    }
    .parse(&state.taxonomy)?;
    imports::authorize_status(&options, None, state.four_eyes)?;
    let bytes = std::fs::read(&request.file)?;
    let target = request.file.display().to_string();
    let context = lexset::services::revisions::ChangeContext {
        actor: lexset::domain::text::Actor::parse(CLI_ACTOR)?,
        reason: None,
        audit: Some(AuditStamp::new(CLI_ACTOR, None, "lexset import", &target)),
    };
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(indicatif::ProgressStyle::with_template(
        "{msg:6} {bar:40} {pos}/{len} rows {elapsed}",
    )?);
    let progress = {
        let bar = bar.clone();
        std::sync::Arc::new(move |stage: &'static str, done: usize, total: usize| {
            bar.set_message(stage);
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        })
    };
    let lang = Lang::from_locale();
    let report = imports::import(&state, &context, bytes, &options, lang, progress).await?;
    bar.finish_and_clear();
    // Written rows committed their audit row with them; an import that wrote nothing is
    // recorded as the attempt it was.
    let unrecorded = context.audit.as_ref().filter(|audit| !audit.recorded());
    if let Some(audit) = unrecorded.filter(|_| !report.dry_run) {
        audit.record_on(&state.db, &target).await?;
    }
    println!(
        "{} rows ({}): {} accepted, {} duplicates, {} invalid{}",
        report.rows,
        report.encoding,
        report.accepted,
        report.duplicates,
        report.invalid,
        if report.dry_run {
            " (dry run: nothing written)"
        } else {
            ""
        }
    );
    for (reason, count) in &report.reasons {
        println!("  invalid, {reason}: {count}");
    }
    if let Some(path) = request.report {
        std::fs::write(path, serde_json::to_vec_pretty(&report)?)?;
    }
    Ok(())
}

/// Which questions a question export lists.
#[derive(Debug, clap::Args)]
struct QuestionExportFilter {
    /// Questions only: this kind (generation, must_refuse, must_not_refuse).
    #[arg(long)]
    kind: Option<String>,
    /// Questions only: this risk code.
    #[arg(long)]
    risk: Option<String>,
    /// Questions only: this aspect code.
    #[arg(long)]
    aspect: Option<String>,
    /// Questions only: high-risk (true) or other (false) questions.
    #[arg(long)]
    high_risk: Option<bool>,
    /// Questions only: the members of this frozen question set, as pinned.
    #[arg(long)]
    set: Option<i64>,
}

async fn filing(
    settings: &Settings,
    request: FilingRequest,
    out: &std::path::Path,
) -> Result<(), Box<dyn std::error::Error>> {
    let state = startup::app_state(settings).await?;
    let audit = AuditStamp::new(CLI_ACTOR, None, "lexset filing", "").creating("/v1/filings");
    let filing = lexset::services::filings::assemble(&state, request, &audit).await?;
    // Stored already: say which, even if writing the file fails (GET /v1/filings/{id}/archive).
    println!(
        "filing {} stored, sha256 {} ({} bytes)",
        filing.id, filing.sha256, filing.size
    );
    std::fs::write(out, &filing.archive)?;
    println!("written to {}", out.display());
    Ok(())
}

async fn export(
    settings: &Settings,
    file: &str,
    out: &std::path::Path,
    status: String,
    build: Option<i64>,
    questions: QuestionExportFilter,
) -> Result<(), Box<dyn std::error::Error>> {
    use lexset::domain::taxonomy_code::{AspectCode, RiskCode};
    use lexset::services::exports::{self, ExportName, ExportSelection};
    let state = startup::app_state(settings).await?;
    let name = ExportName::parse(file)?;
    let taxonomy = &state.taxonomy;
    let selection = ExportSelection {
        statuses: lexset::domain::status::EntryStatus::parse_counted(Some(&status))?,
        build,
        questions: lexset::services::questions::QuestionFilter {
            kind: questions
                .kind
                .as_deref()
                .map(lexset::domain::status::QuestionKind::parse)
                .transpose()?,
            risk: questions
                .risk
                .as_deref()
                .map(|raw| RiskCode::parse(raw, taxonomy))
                .transpose()?,
            aspect: questions
                .aspect
                .as_deref()
                .map(|raw| AspectCode::parse(raw, taxonomy))
                .transpose()?,
            high_risk: questions.high_risk,
            ..Default::default()
        },
        set: questions.set,
    };
    let bytes = exports::produce(&state, name, &selection).await?;
    std::fs::write(out, &bytes)?;
    println!("wrote {} ({} bytes)", out.display(), bytes.len());
    Ok(())
}

#[derive(Subcommand)]
enum SetAction {
    /// Freeze a new set (or preview it with --dry-run): by --ids, a --method filter, a
    /// sample, or the 登记 composer; presets tc260-9.3, tc260-9.4 and registration.
    Create {
        #[command(flatten)]
        settings: Settings,
        #[command(flatten)]
        request: Box<SetCreateArgs>,
    },
    /// The live sets (and retired ones with --all), newest first.
    List {
        #[command(flatten)]
        settings: Settings,
        #[arg(long)]
        all: bool,
    },
    /// A set's members as frozen, one a line: id, revision, kind, risk or aspect, text.
    Members {
        #[command(flatten)]
        settings: Settings,
        id: i64,
    },
    /// A set with its members' counts, as JSON.
    Show {
        #[command(flatten)]
        settings: Settings,
        id: i64,
    },
    /// What set TO adds, removes and pins differently from set FROM, as JSON.
    Diff {
        #[command(flatten)]
        settings: Settings,
        from: i64,
        to: i64,
    },
    /// Retire a set (it stays readable and exportable).
    Retire {
        #[command(flatten)]
        settings: Settings,
        id: i64,
    },
}

/// The `set create` arguments (see `POST /v1/question-sets` for what each means).
#[derive(clap::Args)]
struct SetCreateArgs {
    #[arg(long)]
    name: String,
    #[arg(long)]
    description: Option<String>,
    /// ids, filter, sample or compose (implied by --preset).
    #[arg(long)]
    method: Option<String>,
    /// tc260-9.3, tc260-9.4 or registration.
    #[arg(long)]
    preset: Option<String>,
    /// Question ids, comma-separated (method ids).
    #[arg(long, value_delimiter = ',')]
    ids: Option<Vec<i64>>,
    /// Question kinds drawn from, comma-separated.
    #[arg(long, value_delimiter = ',')]
    kinds: Option<Vec<String>>,
    /// Risk codes or groups drawn from (the composer: its risks), comma-separated.
    #[arg(long, value_delimiter = ',')]
    risks: Option<Vec<String>>,
    /// Aspect codes drawn from, comma-separated.
    #[arg(long, value_delimiter = ',')]
    aspects: Option<Vec<String>>,
    /// Only high-risk (true) or other (false) questions.
    #[arg(long)]
    high_risk: Option<bool>,
    /// Expected behaviours drawn from (refuse, answer), comma-separated.
    #[arg(long, value_delimiter = ',')]
    behaviors: Option<Vec<String>>,
    /// Strata drawn from even when the pool has none there, comma-separated.
    #[arg(long, value_delimiter = ',')]
    required_strata: Option<Vec<String>>,
    /// Keep questions that nearly duplicate an approved one (a sample leaves them out).
    #[arg(long)]
    keep_near_duplicates: bool,
    /// risk, aspect or kind.
    #[arg(long)]
    stratify_by: Option<String>,
    #[arg(long)]
    size: Option<u64>,
    #[arg(long)]
    per_stratum: Option<u64>,
    #[arg(long)]
    min_per_stratum: Option<u64>,
    /// Leave out the members of these sets, comma-separated ids.
    #[arg(long, value_delimiter = ',')]
    exclude_sets: Option<Vec<i64>>,
    #[arg(long)]
    seed: Option<u64>,
    #[arg(long)]
    min_high_risk: Option<u64>,
    #[arg(long)]
    max_refusals: Option<u64>,
    #[arg(long)]
    min_per_risk: Option<u64>,
    #[arg(long)]
    dry_run: bool,
}

async fn question_set(action: SetAction) -> Result<(), Box<dyn std::error::Error>> {
    use lexset::services::question_sets::{self, NewSet, Pool, RecipeRequest};
    match action {
        SetAction::Create { settings, request } => {
            let request = *request;
            let state = startup::app_state(&settings).await?;
            let composer = request.method.as_deref() == Some("compose")
                || request.preset.as_deref() == Some("registration");
            let kinds = request
                .kinds
                .unwrap_or_default()
                .iter()
                .map(|raw| lexset::domain::status::QuestionKind::parse(raw))
                .collect::<Result<Vec<_>, _>>()?;
            // --risks names the composer's risks, or the risks a filter or sample draws from.
            let (pool_risks, composer_risks) = match request.risks {
                Some(risks) if composer => (Vec::new(), Some(risks)),
                risks => (risks.unwrap_or_default(), None),
            };
            let behaviors = request
                .behaviors
                .unwrap_or_default()
                .iter()
                .map(|raw| lexset::domain::status::ExpectedBehavior::parse(raw))
                .collect::<Result<Vec<_>, _>>()?;
            let pool = Pool {
                kinds,
                risks: pool_risks,
                aspects: request.aspects.unwrap_or_default(),
                high_risk: request.high_risk,
                behaviors,
            };
            let pool = (pool != Pool::default()).then_some(pool);
            let recipe = RecipeRequest {
                method: request.method,
                preset: request.preset,
                ids: request.ids,
                pool,
                stratify_by: request
                    .stratify_by
                    .as_deref()
                    .map(lexset::sampling::Stratum::parse)
                    .transpose()?,
                size: request.size,
                per_stratum: request.per_stratum,
                min_per_stratum: request.min_per_stratum,
                exclude_sets: request.exclude_sets,
                required_strata: request.required_strata,
                exclude_near_duplicates: request.keep_near_duplicates.then_some(false),
                seed: request.seed,
                min_high_risk: request.min_high_risk,
                max_refusals: request.max_refusals,
                min_per_risk: request.min_per_risk,
                risks: composer_risks,
            }
            .recipe(&state.taxonomy)?;
            let new = NewSet {
                name: lexset::domain::question_set::SetName::parse(&request.name)?,
                description: request
                    .description
                    .as_deref()
                    .map(lexset::domain::question_set::SetDescription::parse)
                    .transpose()?,
                recipe,
            };
            let audit = AuditStamp::new(CLI_ACTOR, None, "lexset set create", "")
                .creating("/v1/question-sets");
            let composed = question_sets::create(&state, new, request.dry_run, &audit).await?;
            match &composed.set {
                Some(set) => eprintln!(
                    "set {} `{}` version {} frozen with {} questions",
                    set.id, set.name, set.version, set.member_count
                ),
                None => eprintln!(
                    "dry run: {} questions would be frozen; nothing written",
                    composed.member_ids.len()
                ),
            }
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({
                    "recipe": composed.recipe,
                    "counts": composed.counts,
                }))?
            );
        }
        SetAction::List { settings, all } => {
            let (db, _) = startup::open_store(&settings).await?;
            for set in question_sets::list(&db, all, lexset::services::page::MAX_LIMIT).await? {
                println!(
                    "{}\t{}\tv{}\t{} questions\t{}{}",
                    set.id,
                    set.name,
                    set.version,
                    set.member_count,
                    set.created_at.to_rfc3339(),
                    if set.retired_at.is_some() {
                        "\tretired"
                    } else {
                        ""
                    }
                );
            }
        }
        SetAction::Members { settings, id } => {
            let (db, _) = startup::open_store(&settings).await?;
            let (_, members) = question_sets::frozen(&db, id).await?;
            for member in members {
                let class = member.risk.or(member.aspect).unwrap_or_default();
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    member.question_id,
                    member.revision,
                    member.kind.as_str(),
                    class,
                    member.text.replace(['\t', '\n', '\r'], " ")
                );
            }
        }
        SetAction::Show { settings, id } => {
            let (db, _) = startup::open_store(&settings).await?;
            let (set, counts) = question_sets::with_counts(&db, id).await?;
            let recipe: serde_json::Value = serde_json::from_str(&set.recipe)?;
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({
                    "id": set.id,
                    "name": set.name,
                    "version": set.version,
                    "member_count": set.member_count,
                    "recipe": recipe,
                    "counts": counts,
                }))?
            );
        }
        SetAction::Diff { settings, from, to } => {
            let (db, _) = startup::open_store(&settings).await?;
            let diff = question_sets::diff(&db, from, to).await?;
            println!("{}", serde_json::to_string_pretty(&diff)?);
        }
        SetAction::Retire { settings, id } => {
            let (db, _) = startup::open_store(&settings).await?;
            let target = format!("/v1/question-sets/{id}/retire");
            let audit = AuditStamp::new(CLI_ACTOR, None, "lexset set retire", &target);
            let set = question_sets::retire(&db, id, &audit).await?;
            eprintln!(
                "set {} `{}` version {} retired",
                set.id, set.name, set.version
            );
        }
    }
    Ok(())
}

async fn evaluate(
    settings: &Settings,
    build: i64,
    status: &str,
    corpus: Option<&std::path::Path>,
    corpus_format: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    use lexset::services::evaluations::{self, EvaluationRequest};
    let state = startup::app_state(settings).await?;
    let statuses = lexset::domain::status::EntryStatus::parse_counted(Some(status))?;
    let corpus = match corpus {
        Some(path) => Some(lexset::domain::corpus::corpus_lines(
            &std::fs::read_to_string(path)?,
            Some(corpus_format),
        )?),
        None => None,
    };
    let request = EvaluationRequest { statuses, corpus };
    let env = state.build_environment();
    let report =
        evaluations::report(&env, &state.filters, build, request, || async { Ok(()) }).await?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}

async fn refold(settings: &Settings) -> Result<(), Box<dyn std::error::Error>> {
    let (db, dedup) = startup::open_store(settings).await?;
    let lints = lexset::lint::LintConfig::shipped(&dedup.profile, &settings.disabled_lints)?;
    let report = lexset::services::refold::refold(&db, &dedup, &lints).await?;
    startup::log_refold(&report);
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}

async fn serve(settings: &Settings) -> Result<(), Box<dyn std::error::Error>> {
    let application = Application::build(settings).await?;
    tracing::info!(
        port = application.port(),
        database = %settings.database_url(),
        "lexset is listening; API docs at /docs"
    );
    application.run_until_stopped().await?;
    Ok(())
}

//! The `lexset` command.

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use lexset::config::Settings;
use lexset::http::openapi;
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
    /// Print the OpenAPI document (as committed in openapi/openapi.json).
    Openapi,
}

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    match Cli::parse().command {
        Command::Openapi => {
            print!("{}", openapi::spec_json());
            std::process::ExitCode::SUCCESS
        }
        Command::Serve(settings) => exit_code(serve(&settings).await),
        Command::Refold(settings) => exit_code(refold(&settings).await),
    }
}

fn exit_code(result: Result<(), Box<dyn std::error::Error>>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn refold(settings: &Settings) -> Result<(), Box<dyn std::error::Error>> {
    let (db, dedup) = startup::open_store(settings).await?;
    let report = lexset::services::refold::refold(&db, &dedup).await?;
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

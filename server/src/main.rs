//! The `lexset` command.

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use lexset::config::Settings;
use lexset::http::openapi;
use lexset::startup::Application;

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
        Command::Serve(settings) => match serve(&settings).await {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(error) => {
                tracing::error!("{error}");
                std::process::ExitCode::FAILURE
            }
        },
    }
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

//! Building the application: data directory, database, migrations, seeds, HTTP server.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::Logger;
use actix_web::{App, HttpServer, web};

use crate::config::Settings;
use crate::http::{self, AppState};
use crate::services;
use crate::store;
use crate::taxonomy::{SeedError, Taxonomy};

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot open the database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error(transparent)]
    Seeds(#[from] SeedError),
    #[error("cannot listen on {bind}: {source}")]
    Bind {
        bind: String,
        source: std::io::Error,
    },
}

/// A built, not yet running, lexset server.
pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Opens (and migrates) the database, loads the seeds and binds the listener.
    pub async fn build(settings: &Settings) -> Result<Self, StartupError> {
        std::fs::create_dir_all(&settings.data_dir).map_err(|source| StartupError::DataDir {
            path: settings.data_dir.display().to_string(),
            source,
        })?;
        let db = store::connect_and_migrate(&settings.database_url()).await?;
        let taxonomy = Taxonomy::shipped()?;
        services::taxonomy::load(&db, &taxonomy).await?;
        let state = web::Data::new(AppState {
            db,
            taxonomy: Arc::new(taxonomy),
        });
        let bind_error = |source| StartupError::Bind {
            bind: settings.bind.clone(),
            source,
        };
        let listener = TcpListener::bind(&settings.bind).map_err(bind_error)?;
        let port = listener.local_addr().map_err(bind_error)?.port();
        let server = HttpServer::new(move || {
            App::new()
                .wrap(Logger::default())
                .app_data(state.clone())
                .configure(http::configure)
        })
        .listen(listener)
        .map_err(bind_error)?
        .run();
        Ok(Self { port, server })
    }

    /// The port the server listens on (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

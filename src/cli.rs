//! The `duban` command line: serve, migrate, seed, schema, user add, import.

use std::io::Read;
use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::db::Db;
use crate::domain::UserRole;
use crate::error::{AppError, AppResult};
use crate::graphql::AppState;
use crate::services;

#[derive(Parser)]
#[command(
    name = "duban",
    version,
    about = "督办 — task assignment and accountability for implementation plans"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the GraphQL API (migrates first; seeds demo data into an empty embedded database).
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080", env = "DUBAN_ADDR")]
        addr: SocketAddr,
    },
    /// Apply pending database migrations.
    Migrate,
    /// Load `seeds/`: the agency registry, the source plans, demo contacts and accounts.
    Seed,
    /// Print the GraphQL SDL.
    Schema,
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account; the password is read from standard input.
    Add {
        username: String,
        #[arg(long)]
        role: String,
        /// The agency's canonical name or an alias (required for --role agency).
        #[arg(long)]
        agency: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long)]
        email: Option<String>,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "duban=info,warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let detail = match &e {
                AppError::Internal(cause) => format!("{e}: {cause}"),
                other => other.to_string(),
            };
            eprintln!("error [{}]: {detail}", e.code());
            ExitCode::FAILURE
        }
    }
}

async fn connect() -> AppResult<(Config, Db)> {
    let config = Config::from_env()?;
    tracing::debug!(?config, "configuration");
    let db = Db::connect(&config.database_url).await?;
    Ok((config, db))
}

async fn run(cli: Cli) -> AppResult<()> {
    match cli.command {
        Command::Schema => {
            print!("{}", crate::graphql::sdl());
            Ok(())
        }
        Command::Migrate => {
            let (_, db) = connect().await?;
            db.migrate().await?;
            eprintln!("migrations applied");
            Ok(())
        }
        Command::Seed => {
            let (_, db) = connect().await?;
            db.migrate().await?;
            let summary = seed_all(&db).await?;
            eprintln!("{summary}");
            Ok(())
        }
        Command::Serve { addr } => {
            let (config, db) = connect().await?;
            db.migrate().await?;
            if config.database_url.starts_with("sqlite:")
                && services::seed::is_empty(&db.conn).await?
            {
                eprintln!("empty embedded database: loading demo data");
                let summary = seed_all(&db).await?;
                eprintln!("{summary}");
            }
            let state = AppState::new(db, config);
            crate::server::serve(state, addr)
                .await
                .map_err(AppError::internal)
        }
        Command::User {
            command:
                UserCommand::Add {
                    username,
                    role,
                    agency,
                    display_name,
                    email,
                },
        } => {
            let (_, db) = connect().await?;
            db.migrate().await?;
            let role = UserRole::parse(&role)?;
            let agency_id = match agency {
                Some(name) => Some(
                    services::agencies::find_by_name(&db.conn, &name)
                        .await?
                        .ok_or_else(|| AppError::NotFound(format!("agency {name:?} not found")))?
                        .id,
                ),
                None => None,
            };
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .map_err(|e| {
                    AppError::invalid(format!("cannot read the password from stdin: {e}"))
                })?;
            let password = password.trim_end_matches(['\r', '\n']);
            let now = chrono::Utc::now();
            let tx = db.write().await?;
            let input = services::users::UserInput {
                display_name: display_name.unwrap_or_else(|| username.clone()),
                username,
                email,
                role,
                agency_id,
            };
            let user = services::users::create(&*tx, None, input, password, now).await?;
            tx.commit().await?;
            eprintln!(
                "created user {} ({}) with id {}",
                user.username, user.role, user.id
            );
            Ok(())
        }
    }
}

/// Seeds everything in one transaction; returns a one-line summary.
pub async fn seed_all(db: &Db) -> AppResult<String> {
    let now = chrono::Utc::now();
    let dir = services::seed::seeds_dir();
    let tx = db.write().await?;
    let agencies = services::seed::load_registry(&*tx, &dir, now).await?;
    services::seed::demo_people(&*tx, now).await?;
    tx.commit().await?;
    Ok(format!("seeded {agencies} agencies from {}", dir.display()))
}
